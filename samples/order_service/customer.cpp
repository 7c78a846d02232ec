// The Customer aggregate's reducers and decide functions.
#include "customer.hpp"

#include <algorithm>

#include "domain_error.hpp"

namespace order_service {

customer apply(customer c, const customer_registered& e) {
  c.registered = true;
  c.name = e.name;
  c.email = e.email;
  return c;
}

customer apply(customer c, const customer_order_placed& e) {
  c.order_ids.push_back(e.order_id);
  return c;
}

std::vector<customer_event> decide(const customer& c, const register_customer& command) {
  if (command.name.empty() || command.name.size() > 100) {
    throw invalid_field("name", "name must be 1 to 100 bytes");
  }
  auto at = command.email.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == command.email.size() ||
      command.email.size() > 200) {
    throw invalid_field("email", "email must look like name@domain");
  }
  if (c.registered) {
    throw domain_error(error_kind::conflict, "customer_exists", "the customer already exists");
  }
  return {customer_registered{command.name, command.email}};
}

customer_registered upcast_customer_registered(const customer_registered_v1& old) {
  return {old.name, old.email};
}

std::vector<customer_event> decide(const customer& c, const place_order& command) {
  if (!c.registered) {
    throw domain_error(error_kind::unprocessable, "unknown_customer",
                       "customer_id names no registered customer", "customer_id");
  }
  if (std::find(c.order_ids.begin(), c.order_ids.end(), command.order_id) != c.order_ids.end()) {
    throw domain_error(error_kind::conflict, "order_exists",
                       "the order " + command.order_id + " is already placed");
  }
  return {customer_order_placed{command.order_id}};
}

}  // namespace order_service
