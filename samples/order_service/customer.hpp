// The Customer aggregate: registration, and the orders placed in the customer's name.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace order_service {

struct customer_registered {
  static constexpr std::string_view type = "customer.registered";
  std::string name;
  std::string email;
};

struct customer_order_placed {
  static constexpr std::string_view type = "customer.order_placed";
  std::string order_id;
};

using customer_event = std::variant<customer_registered, customer_order_placed>;

struct customer {
  bool registered = false;
  std::string name;
  std::string email;
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

}  // namespace order_service
