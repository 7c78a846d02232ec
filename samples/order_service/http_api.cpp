// Routes of the order service's HTTP API: decode the request, run the use case, encode the reply.
#include "http_api.hpp"

#include <httplib.h>

#include <annal/projection_runner.hpp>
#include <annal/read_model_reader.hpp>
#include <charconv>
#include <cstdio>
#include <optional>
#include <string>

#include "json_views.hpp"
#include "order_summaries.hpp"
#include "revenue.hpp"
#include "service.hpp"

namespace order_service {
namespace {

constexpr const char* json_type = "application/json";

void reply(httplib::Response& res, int status, const nlohmann::ordered_json& body) {
  res.status = status;
  res.set_content(body.dump(), json_type);
}

void reply_order(httplib::Response& res, int status, std::string_view id,
                 const annal::versioned<order>& o) {
  res.set_header("ETag", "\"" + std::to_string(o.version) + "\"");
  reply(res, status, order_json(id, o));
}

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

// Runs a handler and turns every exception it throws into the documented JSON error.
template <class Handler>
void guarded(httplib::Response& res, Handler&& handler) {
  try {
    handler();
  } catch (const domain_error& e) {
    reply(res, status_of(e.kind()), error_json(e.code(), e.what(), e.field()));
  } catch (const annal::decode_failed& e) {
    std::string field = e.field_path().empty() ? "body" : e.field_path();
    reply(res, 400, error_json("invalid_field", e.what(), field));
  } catch (const nlohmann::json::parse_error&) {
    reply(res, 400, error_json("invalid_json", "the body is not valid JSON", "body"));
  } catch (const annal::wrong_expected_version&) {
    reply(res, 409,
          error_json("write_conflict", "the order kept changing under this request; try again"));
  } catch (const annal::store_closed&) {
    reply(res, 503, error_json("unavailable", "the service is shutting down"));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "order-service: internal error: %s\n", e.what());
    reply(res, 500, error_json("internal_error", "internal error"));
  }
}

// Decodes the request body into a command struct; a missing or mistyped field is a
// decode_failed naming it.
template <class Command>
Command body_as(const httplib::Request& req) {
  auto json = nlohmann::json::parse(req.body.empty() ? "{}" : req.body);
  if (!json.is_object()) throw invalid_field("body", "the body must be a JSON object");
  return annal::from_json_value<Command>(json, "request");
}

// The stream version an If-Match header expects: "3" or 3; none (or *) means "any".
std::optional<std::uint64_t> if_match(const httplib::Request& req) {
  if (!req.has_header("If-Match")) return std::nullopt;
  std::string value = req.get_header_value("If-Match");
  if (value == "*") return std::nullopt;
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  std::uint64_t version = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), version);
  if (ec != std::errc() || end != value.data() + value.size() || value.empty()) {
    throw invalid_field("If-Match", "If-Match must be an ETag this API returned, like \"3\"");
  }
  return version;
}

// A non-negative integer in a path segment or query parameter named `field`.
std::uint64_t number_param(const std::string& text, const std::string& field) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    throw invalid_field(field, field + " must be a non-negative integer");
  }
  return value;
}

// A query parameter, or `fallback` when the request does not have it.
std::string query_param(const httplib::Request& req, const char* name, std::string fallback = {}) {
  return req.has_param(name) ? req.get_param_value(name) : fallback;
}

// "YYYY-MM-DD" or empty.
std::string day_param(const httplib::Request& req, const char* name) {
  std::string day = query_param(req, name);
  bool ok = day.empty() || (day.size() == 10 && day[4] == '-' && day[7] == '-' &&
                            std::all_of(day.begin(), day.end(),
                                        [](char c) { return (c >= '0' && c <= '9') || c == '-'; }));
  if (!ok) throw invalid_field(name, std::string(name) + " must be a day, YYYY-MM-DD");
  return day;
}

// The runner's status of a projection, or 404 for a name it does not know.
annal::projection_status projection_status_of(const annal::projection_runner& runner,
                                              const std::string& name) {
  for (auto& status : runner.statuses()) {
    if (status.name == name) return status;
  }
  throw domain_error(error_kind::not_found, "projection_not_found", "no projection " + name);
}

// The correlation id of a request: the client's X-Correlation-Id, or a fresh one. It is stored
// with every event the request appends and echoed in the reply.
annal::event_metadata request_metadata(const httplib::Request& req, httplib::Response& res) {
  annal::event_metadata metadata;
  std::string given = req.get_header_value("X-Correlation-Id");
  metadata.correlation_id =
      !given.empty() && given.size() <= 128 ? given : annal::uuid::v7().to_string();
  res.set_header("X-Correlation-Id", metadata.correlation_id);
  return metadata;
}

// POST /orders/{id}/<action> with a body decoded as Command.
template <class Command>
void add_order_command(httplib::Server& http, service& app, const std::string& action) {
  http.Post("/orders/([^/]+)/" + action,
            [&app](const httplib::Request& req, httplib::Response& res) {
              guarded(res, [&] {
                std::string id = req.matches[1];
                auto expected = if_match(req);
                auto command = body_as<Command>(req);
                auto metadata = request_metadata(req, res);
                reply_order(res, 200, id, app.execute(id, command, expected, metadata));
              });
            });
}

void add_read_model_routes(httplib::Server& http, annal::projection_runner& projections) {
  http.Get("/orders", [&projections](const httplib::Request& req, httplib::Response& res) {
    guarded(res, [&] {
      std::string status = query_param(req, "status");
      if (!status.empty() && status != "open" && status != "paid" && status != "shipped" &&
          status != "cancelled") {
        throw invalid_field("status", "status must be open, paid, shipped or cancelled");
      }
      auto limit = number_param(query_param(req, "limit", "20"), "limit");
      if (limit < 1 || limit > 100) throw invalid_field("limit", "limit must be 1 to 100");
      auto after = number_param(query_param(req, "after", "0"), "after");
      // A reader is one SQLite connection; opening one per request keeps handlers independent.
      annal::read_model_reader reader(projections.read_model_path());
      reply(res, 200, order_list_json(list_orders(reader, status, after, limit)));
    });
  });
  http.Get("/revenue", [&projections](const httplib::Request& req, httplib::Response& res) {
    guarded(res, [&] {
      std::string from = day_param(req, "from");
      std::string to = day_param(req, "to");
      annal::read_model_reader reader(projections.read_model_path());
      reply(res, 200, revenue_json(revenue_per_day(reader, from, to)));
    });
  });
  http.Get("/projections", [&projections](const httplib::Request&, httplib::Response& res) {
    guarded(res, [&] {
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (const auto& status : projections.statuses()) list.push_back(projection_json(status));
      reply(res, 200, {{"projections", std::move(list)}});
    });
  });
  http.Get("/projections/([^/]+)",
           [&projections](const httplib::Request& req, httplib::Response& res) {
             guarded(res, [&] {
               reply(res, 200, projection_json(projection_status_of(projections, req.matches[1])));
             });
           });
  http.Post("/projections/([^/]+)/rebuild",
            [&projections](const httplib::Request& req, httplib::Response& res) {
              guarded(res, [&] {
                std::string name = req.matches[1];
                projection_status_of(projections, name);
                projections.rebuild(name);
                reply(res, 202, projection_json(projections.status(name)));
              });
            });
}

}  // namespace

void add_routes(httplib::Server& http, service& app, annal::projection_runner& projections) {
  http.Post("/customers", [&app](const httplib::Request& req, httplib::Response& res) {
    guarded(res, [&] {
      auto command = body_as<register_customer>(req);
      auto created = app.register_customer(command, request_metadata(req, res));
      res.set_header("Location", "/customers/" + created.id);
      reply(res, 201, customer_json(created.id, created.current));
    });
  });
  http.Get("/customers/([^/]+)", [&app](const httplib::Request& req, httplib::Response& res) {
    guarded(res, [&] {
      std::string id = req.matches[1];
      reply(res, 200, customer_json(id, app.get_customer(id)));
    });
  });

  http.Post("/orders", [&app](const httplib::Request& req, httplib::Response& res) {
    guarded(res, [&] {
      auto command = body_as<create_order>(req);
      auto created = app.create_order(command, request_metadata(req, res));
      res.set_header("Location", "/orders/" + created.id);
      reply_order(res, 201, created.id, created.current);
    });
  });
  http.Get("/orders/([^/]+)", [&app](const httplib::Request& req, httplib::Response& res) {
    guarded(res, [&] {
      std::string id = req.matches[1];
      reply_order(res, 200, id, app.get_order(id));
    });
  });
  http.Get("/orders/([^/]+)/events", [&app](const httplib::Request& req, httplib::Response& res) {
    guarded(res, [&] { reply(res, 200, history_json(app.order_history(req.matches[1].str()))); });
  });
  http.Get("/orders/([^/]+)/versions/([^/]+)",
           [&app](const httplib::Request& req, httplib::Response& res) {
             guarded(res, [&] {
               std::string id = req.matches[1];
               auto version = number_param(req.matches[2], "version");
               reply_order(res, 200, id, app.get_order_at(id, version));
             });
           });

  add_order_command<add_item>(http, app, "items");
  add_order_command<apply_discount>(http, app, "discount");
  add_order_command<pay_order>(http, app, "payment");
  add_order_command<ship_order>(http, app, "shipment");
  add_order_command<cancel_order>(http, app, "cancellation");
  http.Delete("/orders/([^/]+)/items/([^/]+)",
              [&app](const httplib::Request& req, httplib::Response& res) {
                guarded(res, [&] {
                  std::string id = req.matches[1];
                  auto expected = if_match(req);
                  auto metadata = request_metadata(req, res);
                  auto after = app.execute(id, remove_item{req.matches[2]}, expected, metadata);
                  reply_order(res, 200, id, after);
                });
              });

  add_read_model_routes(http, projections);

  http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty() && res.status == 404) {
      reply(res, 404, error_json("no_route", "no such route"));
    }
  });
  http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        reply(res, 500, error_json("internal_error", "internal error"));
      });
}

}  // namespace order_service
