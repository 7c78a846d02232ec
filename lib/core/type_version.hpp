// The range of an event type version: one rule for what a store accepts and what it reads back.
#pragma once

#include <cstdint>
#include <string>

#include "annal/event.hpp"

namespace annal::detail {

/// True for a type version a store may hold: 1 to max_type_version. Never throws.
constexpr bool is_valid_type_version(std::int64_t version) noexcept {
  return version >= 1 && version <= static_cast<std::int64_t>(max_type_version);
}

/// A type version read back from storage. Throws annal::corruption naming `where` and `position`
/// when it is outside 1 to max_type_version (written by another program).
std::uint32_t stored_type_version(std::int64_t version, std::uint64_t position,
                                  const std::string& where);

}  // namespace annal::detail
