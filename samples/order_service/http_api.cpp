// Routes of the order service's HTTP API: decode the request, run the use case, encode the reply.
#include "http_api.hpp"

#include <string>

#include "json_views.hpp"
#include "request_decoding.hpp"
#include "service.hpp"

namespace order_service {
namespace {

using annal::http::request;
using annal::http::response;

void reply_order(response& res, int status, std::string_view id, const annal::versioned<order>& o) {
  res.set_header("ETag", "\"" + std::to_string(o.version) + "\"");
  reply_json(res, status, order_json(id, o));
}

// The request's correlation id (see request_metadata), echoed in the reply.
annal::event_metadata correlated(const request& req, response& res) {
  auto metadata = request_metadata(req);
  res.set_header("X-Correlation-Id", metadata.correlation_id);
  return metadata;
}

// POST /orders/{id}/<action> with a body decoded as Command.
template <class Command>
void add_order_command(annal::http::router& routes, service& app, const server_log& log,
                       const std::string& action) {
  add_route(routes, log, "POST", "/orders/{id}/" + action,
            [&app](const request& req, response& res) {
              const std::string& id = req.path_param("id");
              auto expected = if_match(req);
              auto command = body_as<Command>(req);
              auto metadata = correlated(req, res);
              reply_order(res, 200, id, app.execute(id, command, expected, metadata));
            });
}

}  // namespace

void add_routes(annal::http::router& routes, service& app, annal::projection_runner& projections,
                const server_log& log) {
  add_route(routes, log, "POST", "/customers", [&app](const request& req, response& res) {
    auto command = body_as<register_customer>(req);
    auto created = app.register_customer(command, correlated(req, res));
    res.set_header("Location", "/customers/" + created.id);
    reply_json(res, 201, customer_json(created.id, created.current));
  });
  add_route(routes, log, "GET", "/customers/{id}", [&app](const request& req, response& res) {
    const std::string& id = req.path_param("id");
    reply_json(res, 200, customer_json(id, app.get_customer(id)));
  });

  add_route(routes, log, "DELETE", "/customers/{id}", [&app](const request& req, response& res) {
    app.forget_customer(req.path_param("id"));
    res.status = 204;
  });

  add_route(routes, log, "POST", "/orders", [&app](const request& req, response& res) {
    auto command = body_as<create_order>(req);
    auto created = app.create_order(command, correlated(req, res));
    res.set_header("Location", "/orders/" + created.id);
    reply_order(res, 201, created.id, created.current);
  });
  add_route(routes, log, "GET", "/orders/{id}", [&app](const request& req, response& res) {
    const std::string& id = req.path_param("id");
    reply_order(res, 200, id, app.get_order(id));
  });
  add_route(routes, log, "GET", "/orders/{id}/events",
            [&app, log](const request& req, response& res) {
              reply_json(res, 200, history_json(app.order_history(req.path_param("id")), log));
            });
  add_route(routes, log, "GET", "/orders/{id}/versions/{version}",
            [&app](const request& req, response& res) {
              const std::string& id = req.path_param("id");
              auto version = number_param(req.path_param("version"), "version");
              reply_order(res, 200, id, app.get_order_at(id, version));
            });

  add_order_command<add_item>(routes, app, log, "items");
  add_order_command<apply_discount>(routes, app, log, "discount");
  add_order_command<pay_order>(routes, app, log, "payment");
  add_order_command<ship_order>(routes, app, log, "shipment");
  add_order_command<cancel_order>(routes, app, log, "cancellation");
  add_route(routes, log, "DELETE", "/orders/{id}/items/{sku}",
            [&app](const request& req, response& res) {
              const std::string& id = req.path_param("id");
              auto expected = if_match(req);
              auto metadata = correlated(req, res);
              auto after = app.execute(id, remove_item{req.path_param("sku")}, expected, metadata);
              reply_order(res, 200, id, after);
            });

  add_read_model_routes(routes, projections, log);
}

}  // namespace order_service
