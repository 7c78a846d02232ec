// The Order's decide functions: every rule of an order's life is checked here.
#include "order_commands.hpp"

#include <algorithm>
#include <string_view>

#include "domain_error.hpp"

namespace order_service {
namespace {

bool is_identifier(std::string_view text, std::size_t max_size) {
  return !text.empty() && text.size() <= max_size &&
         std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
         });
}

void require_identifier(std::string_view field, std::string_view value, std::size_t max_size) {
  if (!is_identifier(value, max_size)) {
    throw invalid_field(std::string(field), std::string(field) + " must be 1 to " +
                                                std::to_string(max_size) +
                                                " letters, digits, '-', '_' or '.'");
  }
}

void require_exists(const order& o) {
  if (o.status == order_status::none) {
    throw domain_error(error_kind::not_found, "order_not_found", "the order does not exist");
  }
}

void require_open(const order& o, std::string_view action) {
  require_exists(o);
  if (o.status != order_status::open) {
    throw domain_error(
        error_kind::conflict, "order_not_open",
        "cannot " + std::string(action) + ": the order is " + std::string(to_string(o.status)));
  }
}

const order_line* find_line(const order& o, std::string_view sku) {
  auto line = std::find_if(o.lines.begin(), o.lines.end(),
                           [&](const order_line& l) { return l.sku == sku; });
  return line == o.lines.end() ? nullptr : &*line;
}

}  // namespace

std::vector<order_event> decide(const order& o, const create_order& c) {
  require_identifier("customer_id", c.customer_id, 64);
  bool currency_ok =
      c.currency.size() == 3 && std::all_of(c.currency.begin(), c.currency.end(),
                                            [](char ch) { return ch >= 'A' && ch <= 'Z'; });
  if (!currency_ok) {
    throw invalid_field("currency", "currency must be an ISO 4217 code of three capital letters");
  }
  if (o.status != order_status::none) {
    throw domain_error(error_kind::conflict, "order_exists", "the order already exists");
  }
  return {order_created{c.customer_id, c.currency}};
}

std::vector<order_event> decide(const order& o, const add_item& c) {
  require_identifier("sku", c.sku, 64);
  if (c.quantity < 1 || c.quantity > max_quantity) {
    throw invalid_field("quantity",
                        "quantity must be between 1 and " + std::to_string(max_quantity));
  }
  if (c.unit_price_cents < 1 || c.unit_price_cents > max_unit_price_cents) {
    throw invalid_field("unit_price_cents", "unit_price_cents must be between 1 and " +
                                                std::to_string(max_unit_price_cents));
  }
  require_open(o, "add an item");
  if (const order_line* line = find_line(o, c.sku)) {
    if (line->unit_price_cents != c.unit_price_cents) {
      throw domain_error(error_kind::unprocessable, "price_mismatch",
                         "the order has " + c.sku + " at a unit price of " +
                             std::to_string(line->unit_price_cents) + " cents, not " +
                             std::to_string(c.unit_price_cents));
    }
    if (line->quantity + c.quantity > max_quantity) {
      throw domain_error(
          error_kind::unprocessable, "quantity_limit",
          "an order may hold at most " + std::to_string(max_quantity) + " of " + c.sku);
    }
  } else if (o.lines.size() >= max_lines) {
    throw domain_error(error_kind::unprocessable, "too_many_lines",
                       "an order may have at most " + std::to_string(max_lines) + " lines");
  }
  return {item_added{c.sku, c.quantity, money{c.unit_price_cents}}};
}

std::vector<order_event> decide(const order& o, const remove_item& c) {
  require_identifier("sku", c.sku, 64);
  require_open(o, "remove an item");
  if (find_line(o, c.sku) == nullptr) {
    throw domain_error(error_kind::unprocessable, "item_not_in_order",
                       "the order has no item " + c.sku);
  }
  return {item_removed{c.sku}};
}

std::vector<order_event> decide(const order& o, const apply_discount& c) {
  require_identifier("code", c.code, 32);
  if (c.percent < 1 || c.percent > max_discount_percent) {
    throw invalid_field("percent",
                        "percent must be between 1 and " + std::to_string(max_discount_percent));
  }
  require_open(o, "apply a discount");
  if (o.discount_percent != 0) {
    throw domain_error(error_kind::unprocessable, "discount_already_applied",
                       "the order already has the discount " + o.discount_code);
  }
  return {discount_applied{c.code, c.percent}};
}

std::vector<order_event> decide(const order& o, const pay_order& c) {
  if (c.amount_cents < 1) throw invalid_field("amount_cents", "amount_cents must be positive");
  require_open(o, "pay");
  if (o.lines.empty()) {
    throw domain_error(error_kind::unprocessable, "order_empty", "cannot pay for an empty order");
  }
  if (c.amount_cents != total_cents(o)) {
    throw domain_error(error_kind::unprocessable, "amount_mismatch",
                       "the payment of " + std::to_string(c.amount_cents) +
                           " cents differs from the total of " + std::to_string(total_cents(o)) +
                           " cents");
  }
  return {order_paid{c.amount_cents}};
}

std::vector<order_event> decide(const order& o, const ship_order& c) {
  require_identifier("tracking_id", c.tracking_id, 64);
  require_exists(o);
  switch (o.status) {
    case order_status::open:
      throw domain_error(error_kind::conflict, "order_not_paid",
                         "cannot ship: the order is not paid");
    case order_status::cancelled:
      throw domain_error(error_kind::conflict, "order_cancelled",
                         "cannot ship: the order is cancelled");
    case order_status::shipped:
      throw domain_error(error_kind::conflict, "order_already_shipped",
                         "the order is already shipped");
    default:
      return {order_shipped{c.tracking_id}};
  }
}

std::vector<order_event> decide(const order& o, const cancel_order& c) {
  std::string reason = c.reason.value_or("");
  if (reason.size() > 200) throw invalid_field("reason", "reason must be at most 200 bytes");
  require_exists(o);
  if (o.status == order_status::shipped) {
    throw domain_error(error_kind::conflict, "order_already_shipped",
                       "cannot cancel: the order is already shipped");
  }
  if (o.status == order_status::cancelled) {
    throw domain_error(error_kind::conflict, "order_already_cancelled",
                       "the order is already cancelled");
  }
  return {order_cancelled{std::move(reason)}};
}

}  // namespace order_service
