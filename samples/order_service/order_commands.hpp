// The Order's commands and the decide functions that accept them as events or refuse them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "order.hpp"

namespace order_service {

// Commands are plain structs, so the HTTP API decodes request bodies into them with
// annal::from_json_value: a missing or mistyped field is reported with its name.

struct create_order {
  std::string customer_id;
  std::string currency;
};

struct add_item {
  std::string sku;
  std::int32_t quantity;
  std::int64_t unit_price_cents;
};

struct remove_item {
  std::string sku;
};

struct apply_discount {
  std::string code;
  std::int32_t percent;
};

struct pay_order {
  std::int64_t amount_cents;
};

struct ship_order {
  std::string tracking_id;
};

struct cancel_order {
  std::optional<std::string> reason;
};

/// Limits the commands enforce.
inline constexpr std::int32_t max_quantity = 10'000;
inline constexpr std::int64_t max_unit_price_cents = 100'000'000;
inline constexpr std::size_t max_lines = 100;
inline constexpr std::int32_t max_discount_percent = 90;

// Each decide function returns the events that carry out the command on `o`, or throws
// domain_error: error_kind::invalid naming the field for a malformed command, not_found for an
// order that does not exist (except create_order), conflict when the order's status forbids the
// command, unprocessable when its contents do. They are pure and thread-safe.

/// Refuses an order that already exists (conflict, "order_exists"), an empty customer id, and a
/// currency that is not three capital letters.
std::vector<order_event> decide(const order& o, const create_order& c);
/// Only while open. Adding a SKU the order has raises its quantity; its unit price must then be
/// the same (unprocessable, "price_mismatch"). At most max_lines lines ("too_many_lines") and
/// max_quantity of one SKU ("quantity_limit").
std::vector<order_event> decide(const order& o, const add_item& c);
/// Only while open; the SKU must be in the order (unprocessable, "item_not_in_order").
std::vector<order_event> decide(const order& o, const remove_item& c);
/// Only while open; one discount per order ("discount_already_applied"), 1 to
/// max_discount_percent percent.
std::vector<order_event> decide(const order& o, const apply_discount& c);
/// Only while open; the order must have items ("order_empty") and the amount must equal the
/// total ("amount_mismatch").
std::vector<order_event> decide(const order& o, const pay_order& c);
/// Only once paid: "order_not_paid" while open, "order_cancelled", "order_already_shipped".
std::vector<order_event> decide(const order& o, const ship_order& c);
/// Any time before shipping: "order_already_shipped", "order_already_cancelled".
std::vector<order_event> decide(const order& o, const cancel_order& c);

}  // namespace order_service
