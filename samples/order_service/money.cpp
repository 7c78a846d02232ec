// Money as a decimal string: formatting and strict parsing.
#include "money.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace order_service {

std::string to_decimal_string(money amount) {
  std::uint64_t magnitude = amount.cents < 0 ? 0 - static_cast<std::uint64_t>(amount.cents)
                                             : static_cast<std::uint64_t>(amount.cents);
  std::string fraction = std::to_string(magnitude % 100);
  if (fraction.size() < 2) fraction.insert(0, "0");
  return (amount.cents < 0 ? "-" : "") + std::to_string(magnitude / 100) + "." + fraction;
}

money parse_decimal_money(std::string_view text) {
  auto refuse = [&] {
    throw std::invalid_argument("'" + std::string(text.substr(0, 40)) +
                                "' is not an amount like \"12.50\"");
  };
  bool negative = text.starts_with('-');
  std::string_view rest = negative ? text.substr(1) : text;
  auto point = rest.find('.');
  std::string_view whole = rest.substr(0, point);
  std::string_view fraction = point == std::string_view::npos ? "" : rest.substr(point + 1);
  if (whole.empty() || whole.size() > 15) refuse();
  if (point != std::string_view::npos && (fraction.empty() || fraction.size() > 2)) refuse();
  std::int64_t cents = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') refuse();
    cents = cents * 10 + (c - '0');
  }
  for (std::size_t i = 0; i < 2; ++i) {
    char c = i < fraction.size() ? fraction[i] : '0';
    if (c < '0' || c > '9') refuse();
    cents = cents * 10 + (c - '0');
  }
  return {negative ? -cents : cents};
}

void to_json(nlohmann::json& json, const money& amount) { json = to_decimal_string(amount); }

void from_json(const nlohmann::json& json, money& amount) {
  if (!json.is_string()) {
    throw nlohmann::json::type_error::create(302, "money must be a decimal string", &json);
  }
  try {
    amount = parse_decimal_money(json.get_ref<const std::string&>());
  } catch (const std::invalid_argument& e) {
    throw nlohmann::json::other_error::create(501, e.what(), &json);
  }
}

}  // namespace order_service
