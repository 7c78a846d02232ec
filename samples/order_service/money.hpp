// An amount of money as order events store it since item_added version 2: a decimal string.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace order_service {

/// An amount in the currency's minor unit (cents), stored in events as a decimal string with two
/// decimals ("12.50"): exact, and readable in an export without knowing the unit.
struct money {
  std::int64_t cents = 0;
  friend bool operator==(const money&, const money&) = default;
};

/// "12.50" for 1250 cents, "-0.05" for -5.
std::string to_decimal_string(money amount);

/// Reads "12.50", "12.5" or "12" (an optional '-', at most 15 digits before the point and two
/// after). Throws std::invalid_argument for anything else.
money parse_decimal_money(std::string_view text);

/// The codec's encoding of money: a JSON string (see docs/codec.md, custom JSON).
void to_json(nlohmann::json& json, const money& amount);
/// Throws a nlohmann::json exception (a decode error) for a value that is not a decimal string.
void from_json(const nlohmann::json& json, money& amount);

}  // namespace order_service
