// The rule for changing a store's identity, shared by every backend's adopt_store_id().
#pragma once

#include <cstdint>

#include "annal/uuid.hpp"

namespace annal::detail {

/// Throws annal::invalid_argument unless a store whose log ends at `head` may take a new
/// identity: only an empty store (head 0) may, since its read models cannot have seen anything.
void check_identity_change(std::uint64_t head);

/// A fresh random identity for a store being created.
uuid new_store_id();

}  // namespace annal::detail
