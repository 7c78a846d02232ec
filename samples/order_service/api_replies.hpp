// How the HTTP API builds its replies: JSON bodies, error replies, the one place exceptions
// become statuses, and the route helper that applies them to every handler.
#pragma once

#include <annal_http/server.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "server_log.hpp"

namespace order_service {

/// Sets the reply's status and its JSON body. Strings that are not UTF-8 are written with
/// U+FFFD in place of the bad bytes.
void reply_json(annal::http::response& res, int status, const nlohmann::ordered_json& body);

/// A JSON error reply: {"error": code, "message": message} plus "field" when `field` is not
/// empty.
annal::http::response error_reply(int status, std::string_view code, std::string_view message,
                                  std::string_view field = {});

/// The JSON body of the replies the HTTP server makes itself (no route, body too large, ...):
/// the same shape as every other error of the API.
annal::http::response server_error_reply(const annal::http::error_reply& e);

/// Runs `handler`, which fills in a reply, and turns every exception it throws into the
/// documented error reply (see docs/order-service.md, "Errors"): domain errors by their kind,
/// annal::wrong_expected_version as 409 "write_conflict", annal::store_closed as 503
/// "unavailable", stored data that cannot be decoded as 500 "stored_data_unreadable", and
/// anything else as 500 "internal_error". The details of a 500 go to `log`, never to the client.
annal::http::response guarded(const annal::http::request& req, const server_log& log,
                              const std::function<void(annal::http::response&)>& handler);

/// What a route does once its query parameters are known to be among those it accepts.
using route_body = std::function<void(const annal::http::request&, annal::http::response&)>;

/// Adds a route whose body runs under guarded(), after check_query_names() with `params`.
void add_route(annal::http::router& routes, const server_log& log, std::string method,
               std::string_view pattern, route_body body, std::vector<std::string> params = {});

}  // namespace order_service
