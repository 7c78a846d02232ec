// Generating realistic customers and orders, for demos and benchmarks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "service.hpp"

namespace order_service {

/// What seed() created.
struct seed_result {
  std::vector<std::string> customer_ids;
  std::vector<std::string> order_ids;
  std::size_t paid = 0;
  std::size_t shipped = 0;
  std::size_t cancelled = 0;
};

/// Registers about one customer per five orders, then creates `orders` orders through `app`'s
/// commands: one to four items from a small catalogue, a discount on some, and a mix of
/// statuses (most paid, many of those shipped, a few cancelled, the rest open). The same
/// `random_seed` gives the same mix (ids and timestamps differ). Throws what the service throws.
seed_result seed(service& app, std::size_t orders, std::uint32_t random_seed = 42);

}  // namespace order_service
