// The HTTP JSON API of the order service: routes, request decoding and error mapping.
#pragma once

namespace httplib {
class Server;
}

namespace annal {
class projection_runner;
}

namespace order_service {

class service;

/// Registers every route of the API (see docs/order-service.md) on `http`, each calling into
/// `app`, or reading the read models of `projections` (listing, revenue, projection status and
/// rebuild). Errors become JSON bodies {"error", "message", "field"?} with these statuses: 400 for
/// a malformed body, field or header (naming the field), 404 for an unknown order, customer,
/// version or route, 409 when the order's status forbids the command or a write kept
/// conflicting, 412 for a stale If-Match, 422 when the command contradicts the order's
/// contents, 503 once the store is closed, 500 for anything else.
///
/// Lifetime: `app` and `projections` must outlive `http`'s handling of requests.
void add_routes(httplib::Server& http, service& app, annal::projection_runner& projections);

}  // namespace order_service
