// The range check of stored type versions, shared by every backend's reader and by verify.
#include "core/type_version.hpp"

#include <fmt/format.h>

#include "annal/error.hpp"

namespace annal::detail {

std::uint32_t stored_type_version(std::int64_t version, std::uint64_t position,
                                  const std::string& where) {
  if (!is_valid_type_version(version)) {
    throw corruption(where, -1,
                     fmt::format("event at position {} has type version {}, outside 1 to {}",
                                 position, version, max_type_version));
  }
  return static_cast<std::uint32_t>(version);
}

}  // namespace annal::detail
