// JSON views of the order service's aggregates and events.
#include "json_views.hpp"

#include <string>

namespace order_service {
namespace {

nlohmann::ordered_json text_or_null(const std::string& text) {
  return text.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(text);
}

}  // namespace

nlohmann::ordered_json order_json(std::string_view id, const annal::versioned<order>& o) {
  const order& s = o.state;
  nlohmann::ordered_json items = nlohmann::ordered_json::array();
  for (const auto& line : s.lines) {
    items.push_back({{"sku", line.sku},
                     {"quantity", line.quantity},
                     {"unit_price_cents", line.unit_price_cents},
                     {"line_total_cents", std::int64_t{line.quantity} * line.unit_price_cents}});
  }
  nlohmann::ordered_json discount = nullptr;
  if (s.discount_percent != 0) {
    discount = {{"code", s.discount_code}, {"percent", s.discount_percent}};
  }
  return {{"id", id},
          {"version", o.version},
          {"status", to_string(s.status)},
          {"customer_id", s.customer_id},
          {"currency", s.currency},
          {"items", std::move(items)},
          {"discount", std::move(discount)},
          {"subtotal_cents", subtotal_cents(s)},
          {"discount_cents", discount_cents(s)},
          {"total_cents", total_cents(s)},
          {"paid_cents", s.paid_cents},
          {"tracking_id", text_or_null(s.tracking_id)},
          {"cancel_reason", text_or_null(s.cancel_reason)}};
}

nlohmann::ordered_json customer_json(std::string_view id, const annal::versioned<customer>& c) {
  return {{"id", id},
          {"version", c.version},
          {"name", c.state.name},
          {"email", c.state.email},
          {"order_ids", c.state.order_ids}};
}

nlohmann::ordered_json history_json(const std::vector<annal::recorded_event>& events) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& e : events) {
    out.push_back({{"version", e.stream_version},
                   {"position", e.position},
                   {"type", e.type},
                   {"event_id", e.id.to_string()},
                   {"recorded_at", annal::to_json_value(e.timestamp)},
                   {"correlation_id", text_or_null(e.metadata.correlation_id)},
                   {"data", nlohmann::ordered_json::parse(e.payload)}});
  }
  return out;
}

nlohmann::ordered_json error_json(std::string_view code, std::string_view message,
                                  std::string_view field) {
  nlohmann::ordered_json out = {{"error", code}, {"message", message}};
  if (!field.empty()) out["field"] = field;
  return out;
}

}  // namespace order_service
