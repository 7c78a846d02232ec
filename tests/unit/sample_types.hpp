// Sample event types shared by the unit tests of the codec and the JSON encoding.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// At namespace scope: reading field names needs types with linkage.
namespace sample_types {

enum class status { open, paid };

struct line {
  std::string sku;
  int quantity;
  double unit_price;
  friend bool operator==(const line&, const line&) = default;
};

struct order_created {
  static constexpr std::string_view type = "order.created";
  std::string customer;
  std::vector<line> lines;
  std::optional<std::string> note;
  std::map<std::string, int> tags;
  status state;
  std::chrono::system_clock::time_point at;
  bool rush;
  std::uint64_t big;
  friend bool operator==(const order_created&, const order_created&) = default;
};

}  // namespace sample_types
