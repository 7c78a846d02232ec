// The JSON shapes the HTTP API returns for orders, customers, histories and errors.
#pragma once

#include <annal/annal.hpp>
#include <annal/projection_status.hpp>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "customer.hpp"
#include "order.hpp"
#include "order_summaries.hpp"
#include "revenue.hpp"
#include "server_log.hpp"

namespace order_service {

/// {"id", "version", "status", "customer_id", "currency", "items": [{"sku", "quantity",
/// "unit_price_cents", "line_total_cents"}], "discount": {"code", "percent"} or null,
/// "subtotal_cents", "discount_cents", "total_cents", "paid_cents", "tracking_id" (or null),
/// "cancel_reason" (or null)}.
nlohmann::ordered_json order_json(std::string_view id, const annal::versioned<order>& o);

/// {"id", "version", "name", "email", "order_ids": [...]}.
nlohmann::ordered_json customer_json(std::string_view id, const annal::versioned<customer>& c);

/// One entry per event, oldest first: {"version", "position", "type", "event_id",
/// "recorded_at" (RFC 3339 UTC), "correlation_id", "data" (the stored payload as it is)}. A
/// payload that is not JSON or nests deeper than annal::max_payload_nesting (written by another
/// tool or an older version) is not embedded: "data" is null and "data_error" is
/// "stored_data_unreadable"; the reason goes to `log`.
nlohmann::ordered_json history_json(const std::vector<annal::recorded_event>& events,
                                    const server_log& log);

/// {"orders": [{"id", "customer_id", "currency", "status", "item_count", "total_cents",
/// "created_at", "updated_at", "position"}], "next_after": cursor or null}.
nlohmann::ordered_json order_list_json(const order_summary_page& page);

/// {"days": [{"day", "currency", "orders_paid", "paid_cents", "refunded_cents", "net_cents"}]}.
nlohmann::ordered_json revenue_json(const std::vector<revenue_day>& days);

/// {"name", "version", "state", "checkpoint", "serving_checkpoint", "head", "lag",
/// "events_per_second", "eta_seconds" (or null), "dead_letters", "error" (or null), "progress"
/// (annal's one-line progress bar)}. Shows status.error as it is: redact it first.
nlohmann::ordered_json projection_json(const annal::projection_status& status);

}  // namespace order_service
