// The HTTP JSON API of the order service: its routes on annal's HTTP server library.
#pragma once

#include <annal_http/router.hpp>

#include "api_replies.hpp"

namespace annal {
class projection_runner;
}

namespace order_service {

class service;

/// Adds every route of the API (see docs/order-service.md) to `routes`, each calling into
/// `app`, or reading the read models of `projections` (listing, revenue, projection status and
/// rebuild). Errors become JSON bodies {"error", "message", "field"?} with these statuses: 400 for
/// a malformed body, field, header or query parameter (naming it), 404 for an unknown order,
/// customer, version or route, 409 when the order's status forbids the command or a write kept
/// conflicting, 412 for a stale If-Match, 422 when the command contradicts the order's
/// contents, 503 once the store is closed, 500 for stored data that cannot be read or anything
/// else (details to `log` only).
///
/// Lifetime: `app` and `projections` must outlive the server serving `routes`.
void add_routes(annal::http::router& routes, service& app, annal::projection_runner& projections,
                const server_log& log);

/// The read-model routes: GET /orders (the listing), GET /revenue, GET /projections and
/// GET /projections/{name}, POST /projections/{name}/rebuild. Part of add_routes().
void add_read_model_routes(annal::http::router& routes, annal::projection_runner& projections,
                           const server_log& log);

}  // namespace order_service
