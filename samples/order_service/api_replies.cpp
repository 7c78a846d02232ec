// JSON replies, and the mapping of exceptions to HTTP statuses and stable error codes.
#include "api_replies.hpp"

#include <annal/error.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "domain_error.hpp"
#include "request_decoding.hpp"

namespace order_service {
namespace {

int status_of(error_kind kind) {
  switch (kind) {
    case error_kind::invalid:
      return 400;
    case error_kind::not_found:
      return 404;
    case error_kind::conflict:
      return 409;
    case error_kind::stale_version:
      return 412;
    case error_kind::unprocessable:
      return 422;
  }
  return 500;
}

// Request bodies are decoded into domain errors before they get here, so a decoding error is
// about data read from the store.
bool is_stored_data_error(annal::errc code) {
  return code == annal::errc::decode_failed || code == annal::errc::unknown_event_type ||
         code == annal::errc::upcast_failed || code == annal::errc::corruption;
}

void log_failure(const server_log& log, const annal::http::request& req, const char* what,
                 const std::exception& e) {
  if (!log) return;
  log(std::string(what) + " in " + annal::http::escape_for_log(req.method) + " " +
      annal::http::escape_for_log(req.target) + ": " + annal::http::escape_for_log(e.what()));
}

}  // namespace

void reply_json(annal::http::response& res, int status, const nlohmann::ordered_json& body) {
  res.status = status;
  res.body = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  res.set_header("Content-Type", "application/json");
}

annal::http::response error_reply(int status, std::string_view code, std::string_view message,
                                  std::string_view field) {
  nlohmann::ordered_json body = {{"error", code}, {"message", message}};
  if (!field.empty()) body["field"] = field;
  annal::http::response res;
  reply_json(res, status, body);
  return res;
}

annal::http::response server_error_reply(const annal::http::error_reply& e) {
  return error_reply(e.status, e.code, e.message);
}

annal::http::response guarded(const annal::http::request& req, const server_log& log,
                              const std::function<void(annal::http::response&)>& handler) {
  annal::http::response res;
  try {
    handler(res);
    return res;
  } catch (const domain_error& e) {
    return error_reply(status_of(e.kind()), e.code(), e.what(), e.field());
  } catch (const annal::wrong_expected_version&) {
    return error_reply(409, "write_conflict",
                       "the order kept changing under this request; try again");
  } catch (const annal::store_closed&) {
    return error_reply(503, "unavailable", "the service is shutting down");
  } catch (const annal::error& e) {
    if (is_stored_data_error(e.code())) {
      log_failure(log, req, "stored data cannot be read", e);
      return error_reply(500, "stored_data_unreadable",
                         "stored data of this resource cannot be read; the details are in the "
                         "server log");
    }
    log_failure(log, req, "internal error", e);
    return error_reply(500, "internal_error", "internal error");
  } catch (const std::exception& e) {
    log_failure(log, req, "internal error", e);
    return error_reply(500, "internal_error", "internal error");
  }
}

void add_route(annal::http::router& routes, const server_log& log, std::string method,
               std::string_view pattern, route_body body, std::vector<std::string> params) {
  routes.add(
      std::move(method), pattern,
      [log, body = std::move(body), params = std::move(params)](const annal::http::request& req) {
        return guarded(req, log, [&](annal::http::response& res) {
          check_query_names(req, params);
          body(req, res);
        });
      });
}

}  // namespace order_service
