// The Order aggregate's reducers and derived amounts.
#include "order.hpp"

#include <algorithm>

namespace order_service {

std::int64_t subtotal_cents(const order& o) {
  std::int64_t sum = 0;
  for (const auto& line : o.lines) sum += std::int64_t{line.quantity} * line.unit_price_cents;
  return sum;
}

std::int64_t discount_cents(const order& o) { return subtotal_cents(o) * o.discount_percent / 100; }

std::int64_t total_cents(const order& o) { return subtotal_cents(o) - discount_cents(o); }

std::string_view to_string(order_status status) noexcept {
  switch (status) {
    case order_status::none:
      return "none";
    case order_status::open:
      return "open";
    case order_status::paid:
      return "paid";
    case order_status::shipped:
      return "shipped";
    case order_status::cancelled:
      return "cancelled";
  }
  return "none";
}

order apply(order o, const order_created& e) {
  o.status = order_status::open;
  o.customer_id = e.customer_id;
  o.currency = e.currency;
  return o;
}

order apply(order o, const item_added& e) {
  auto line = std::find_if(o.lines.begin(), o.lines.end(),
                           [&](const order_line& l) { return l.sku == e.sku; });
  if (line == o.lines.end()) {
    o.lines.push_back({e.sku, e.quantity, e.unit_price.cents});
  } else {
    line->quantity += e.quantity;
  }
  return o;
}

order apply(order o, const item_removed& e) {
  std::erase_if(o.lines, [&](const order_line& l) { return l.sku == e.sku; });
  return o;
}

order apply(order o, const discount_applied& e) {
  o.discount_code = e.code;
  o.discount_percent = e.percent;
  return o;
}

order apply(order o, const order_paid& e) {
  o.status = order_status::paid;
  o.paid_cents = e.amount_cents;
  return o;
}

order apply(order o, const order_shipped& e) {
  o.status = order_status::shipped;
  o.tracking_id = e.tracking_id;
  return o;
}

order apply(order o, const order_cancelled& e) {
  o.status = order_status::cancelled;
  o.cancel_reason = e.reason;
  return o;
}

item_added upcast_item_added(const item_added_v1& old) {
  return {old.sku, old.quantity, money{old.unit_price_cents}};
}

}  // namespace order_service
