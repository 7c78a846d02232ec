// The event types a store holds: each distinct (type, version) with its count and where it is.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "annal/export.hpp"

namespace annal {

class event_store;

/// One type name at one version of its shape, as stored in a log.
struct stored_type {
  std::string type;
  std::uint32_t type_version = 1;
  /// How many events of the log have this type and version.
  std::uint64_t count = 0;
  /// The positions of the first and the last of them.
  std::uint64_t first_position = 0;
  std::uint64_t last_position = 0;
};

/// Every distinct (type, type_version) of `store`'s log up to its head, ordered by type name
/// then version. Reads the whole log page by page (about as long as `annal export` without the
/// output). Throws what event_store::read_all throws. Thread-safe as the store is.
ANNAL_EXPORT std::vector<stored_type> stored_types(event_store& store);

}  // namespace annal
