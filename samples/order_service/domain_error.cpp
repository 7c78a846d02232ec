// The order service's domain errors.
#include "domain_error.hpp"

#include <utility>

namespace order_service {

domain_error::domain_error(error_kind kind, std::string code, const std::string& message,
                           std::string field)
    : std::runtime_error(message), kind_(kind), code_(std::move(code)), field_(std::move(field)) {}

domain_error invalid_field(std::string field, const std::string& message) {
  return domain_error(error_kind::invalid, "invalid_field", message, std::move(field));
}

domain_error stale_version(std::uint64_t expected, std::uint64_t actual) {
  return domain_error(error_kind::stale_version, "stale_version",
                      "the order is at version " + std::to_string(actual) + ", not " +
                          std::to_string(expected) + " as If-Match expects");
}

}  // namespace order_service
