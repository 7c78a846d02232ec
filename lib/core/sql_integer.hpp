// SQL databases keep signed 64-bit integers: the one rule for storing annal's unsigned ones there.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

namespace annal::detail {

/// `value` as a signed 64-bit SQL integer: values past INT64_MAX (a "no limit" or an "up to
/// the end" bound) are clamped to it. Positions and versions never come near it.
constexpr std::int64_t to_sql(std::uint64_t value) noexcept {
  return static_cast<std::int64_t>(
      std::min<std::uint64_t>(value, std::numeric_limits<std::int64_t>::max()));
}

}  // namespace annal::detail
