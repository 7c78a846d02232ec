// The Customer aggregate: registration, and the orders placed in the customer's name.
#pragma once

#include <annal/personal.hpp>
#include <annal/upcaster.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace order_service {

/// The customer's name and email are personal data (docs/privacy.md), sealed with the key of the
/// customer's id, the events' subject: DELETE /customers/{id} forgets it.
struct customer_registered {
  static constexpr std::string_view type = "customer.registered";
  static constexpr int version = 2;
  annal::personal<std::string> name;
  annal::personal<std::string> email;
};

struct customer_order_placed {
  static constexpr std::string_view type = "customer.order_placed";
  std::string order_id;
};

using customer_event = std::variant<customer_registered, customer_order_placed>;

struct customer {
  bool registered = false;
  /// Erased once the customer was forgotten.
  annal::personal<std::string> name;
  annal::personal<std::string> email;
  /// The customer's orders, oldest first.
  std::vector<std::string> order_ids;
};

customer apply(customer c, const customer_registered& e);
customer apply(customer c, const customer_order_placed& e);

// Commands.

struct register_customer {
  std::string name;
  std::string email;
};

/// Placing an order is a command on the customer too: it is refused for an unknown customer,
/// and records the order in the customer's stream.
struct place_order {
  std::string order_id;
};

/// Refuses a customer that already exists (conflict, "customer_exists"), a name that is empty or
/// longer than 100 bytes and an email without an '@' (invalid, naming the field).
std::vector<customer_event> decide(const customer& c, const register_customer& command);
/// Refuses an unknown customer (unprocessable, "unknown_customer": the order's body names a
/// customer that does not exist) and an order already recorded (conflict, "order_exists").
std::vector<customer_event> decide(const customer& c, const place_order& command);

/// customer.registered as version 1 stored it, before its fields were personal: stored in the
/// clear, so forgetting the customer cannot erase it (docs/order-service.md).
struct customer_registered_v1 {
  static constexpr std::string_view type = "customer.registered";
  std::string name;
  std::string email;
};

customer_registered upcast_customer_registered(const customer_registered_v1& old);

}  // namespace order_service

/// Version 1 of customer.registered, in every variant that has customer_registered.
template <>
struct annal::upcasters_of<order_service::customer_registered>
    : annal::upcasters<annal::upcast<&order_service::upcast_customer_registered>> {};
