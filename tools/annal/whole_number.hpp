// Decimal whole numbers as the tool reads them from options and the environment.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace annal::cli {

/// `text` as a decimal whole number: digits only (no sign, space, base prefix or exponent) and
/// at most 2^64 - 1; nullopt otherwise. Pure, never throws.
std::optional<std::uint64_t> parse_whole_number(std::string_view text) noexcept;

}  // namespace annal::cli
