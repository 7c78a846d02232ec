// The Order aggregate: its events, its state and the reducers that fold one into the other.
#pragma once

#include <annal/upcaster.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "money.hpp"

namespace order_service {

// Events. Amounts are exact: integers in the currency's minor unit (cents), or money.

struct order_created {
  static constexpr std::string_view type = "order.created";
  std::string customer_id;
  /// ISO 4217 code, e.g. "EUR".
  std::string currency;
};

struct item_added {
  static constexpr std::string_view type = "order.item_added";
  /// Version 1 stored the price as integer cents (item_added_v1).
  static constexpr int version = 2;
  std::string sku;
  std::int32_t quantity;
  money unit_price;
};

struct item_removed {
  static constexpr std::string_view type = "order.item_removed";
  std::string sku;
};

struct discount_applied {
  static constexpr std::string_view type = "order.discount_applied";
  std::string code;
  std::int32_t percent;
};

struct order_paid {
  static constexpr std::string_view type = "order.paid";
  std::int64_t amount_cents;
};

struct order_shipped {
  static constexpr std::string_view type = "order.shipped";
  std::string tracking_id;
};

/// Stored as "order.canceled" by earlier releases (see the upcasters below).
struct order_cancelled {
  static constexpr std::string_view type = "order.cancelled";
  std::string reason;
};

/// Every event of an order: the codec's registry of order event types.
using order_event = std::variant<order_created, item_added, item_removed, discount_applied,
                                 order_paid, order_shipped, order_cancelled>;

// Earlier shapes of the events, and the upcasters that read them as today's (docs/evolution.md).

/// order.item_added as version 1 stored it: the unit price in integer cents.
struct item_added_v1 {
  static constexpr std::string_view type = "order.item_added";
  std::string sku;
  std::int32_t quantity;
  std::int64_t unit_price_cents;
};

item_added upcast_item_added(const item_added_v1& old);

}  // namespace order_service

/// Version 1 of order.item_added, in every variant that has item_added.
template <>
struct annal::upcasters_of<order_service::item_added>
    : annal::upcasters<annal::upcast<&order_service::upcast_item_added>> {};

/// Cancellations stored under their earlier name, in every variant that has order_cancelled.
template <>
struct annal::upcasters_of<order_service::order_cancelled>
    : annal::upcasters<annal::rename<"order.canceled", "order.cancelled">> {};

namespace order_service {

// State.

/// Where an order is in its life. `none` is the state of an order that was never created.
enum class order_status { none, open, paid, shipped, cancelled };

struct order_line {
  std::string sku;
  std::int32_t quantity = 0;
  std::int64_t unit_price_cents = 0;
};

/// An order as its events leave it. Plain data: the rules live in order_commands.hpp.
struct order {
  order_status status = order_status::none;
  std::string customer_id;
  std::string currency;
  std::vector<order_line> lines;
  std::string discount_code;
  std::int32_t discount_percent = 0;
  std::int64_t paid_cents = 0;
  std::string tracking_id;
  std::string cancel_reason;
};

/// The sum of quantity * unit price over the lines.
std::int64_t subtotal_cents(const order& o);
/// The discount on the subtotal, rounded down to a whole cent.
std::int64_t discount_cents(const order& o);
/// What the customer pays: subtotal minus discount.
std::int64_t total_cents(const order& o);

/// The status as the API spells it: "open", "paid", "shipped", "cancelled" ("none" when the
/// order does not exist).
std::string_view to_string(order_status status) noexcept;

// Reducers: how each event changes the state. They never refuse: events are facts.
order apply(order o, const order_created& e);
order apply(order o, const item_added& e);
order apply(order o, const item_removed& e);
order apply(order o, const discount_applied& e);
order apply(order o, const order_paid& e);
order apply(order o, const order_shipped& e);
order apply(order o, const order_cancelled& e);

}  // namespace order_service
