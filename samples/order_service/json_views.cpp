// JSON views of the order service's aggregates and events.
#include "json_views.hpp"

#include <string>

#include "bounded_json.hpp"
#include "order_stream.hpp"

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
  auto personal = [](const annal::personal<std::string>& value) {
    return value.erased() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(value.value());
  };
  return {{"id", id},
          {"version", c.version},
          {"name", personal(c.state.name)},
          {"email", personal(c.state.email)},
          {"erased", c.state.name.erased()},
          {"order_ids", c.state.order_ids}};
}

nlohmann::ordered_json history_json(const std::vector<annal::recorded_event>& events,
                                    const server_log& log) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& e : events) {
    nlohmann::ordered_json entry = {{"version", e.stream_version},
                                    {"position", e.position},
                                    {"type", e.type},
                                    {"type_version", e.type_version},
                                    {"event_id", e.id.to_string()},
                                    {"recorded_at", recorded_at_text(e)},
                                    {"correlation_id", text_or_null(e.metadata.correlation_id)}};
    try {
      entry["data"] =
          parse_bounded_json<nlohmann::ordered_json>(e.payload, annal::max_payload_nesting);
    } catch (const json_refused& refused) {
      if (log) {
        log("the payload of the event at position " + std::to_string(e.position) +
            " cannot be shown: " + refused.what());
      }
      entry["data"] = nullptr;
      entry["data_error"] = "stored_data_unreadable";
    }
    out.push_back(std::move(entry));
  }
  return out;
}

nlohmann::ordered_json order_list_json(const order_summary_page& page) {
  nlohmann::ordered_json orders = nlohmann::ordered_json::array();
  for (const auto& o : page.orders) {
    orders.push_back({{"id", o.id},
                      {"customer_id", o.customer_id},
                      {"currency", o.currency},
                      {"status", o.status},
                      {"item_count", o.item_count},
                      {"total_cents", o.total_cents},
                      {"created_at", o.created_at},
                      {"updated_at", o.updated_at},
                      {"position", o.position}});
  }
  nlohmann::ordered_json next = nullptr;
  if (page.next_after) next = *page.next_after;
  return {{"orders", std::move(orders)}, {"next_after", std::move(next)}};
}

nlohmann::ordered_json revenue_json(const std::vector<revenue_day>& days) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& d : days) {
    out.push_back({{"day", d.day},
                   {"currency", d.currency},
                   {"orders_paid", d.orders_paid},
                   {"paid_cents", d.paid_cents},
                   {"refunded_cents", d.refunded_cents},
                   {"net_cents", d.paid_cents - d.refunded_cents}});
  }
  return {{"days", std::move(out)}};
}

nlohmann::ordered_json projection_json(const annal::projection_status& status) {
  nlohmann::ordered_json eta = nullptr;
  if (status.eta_seconds) eta = *status.eta_seconds;
  return {{"name", status.name},
          {"version", status.version},
          {"state", annal::to_string(status.state)},
          {"checkpoint", status.checkpoint},
          {"serving_checkpoint", status.serving_checkpoint},
          {"head", status.head},
          {"lag", status.lag},
          {"events_per_second", status.events_per_second},
          {"eta_seconds", std::move(eta)},
          {"dead_letters", status.dead_letters},
          {"error", text_or_null(status.error)},
          {"progress", annal::render_progress_bar(status)}};
}

}  // namespace order_service
