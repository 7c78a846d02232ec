// The JSON shapes the HTTP API returns for orders, customers, histories and errors.
#pragma once

#include <annal/annal.hpp>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "customer.hpp"
#include "order.hpp"

namespace order_service {

/// {"id", "version", "status", "customer_id", "currency", "items": [{"sku", "quantity",
/// "unit_price_cents", "line_total_cents"}], "discount": {"code", "percent"} or null,
/// "subtotal_cents", "discount_cents", "total_cents", "paid_cents", "tracking_id" (or null),
/// "cancel_reason" (or null)}.
nlohmann::ordered_json order_json(std::string_view id, const annal::versioned<order>& o);

/// {"id", "version", "name", "email", "order_ids": [...]}.
nlohmann::ordered_json customer_json(std::string_view id, const annal::versioned<customer>& c);

/// One entry per event, oldest first: {"version", "position", "type", "event_id",
/// "recorded_at" (RFC 3339 UTC), "correlation_id", "data" (the event's fields)}.
nlohmann::ordered_json history_json(const std::vector<annal::recorded_event>& events);

/// {"error": code, "message": message} plus "field" when `field` is not empty.
nlohmann::ordered_json error_json(std::string_view code, std::string_view message,
                                  std::string_view field = {});

}  // namespace order_service
