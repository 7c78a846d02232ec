// check_identity_change() and new_store_id().
#include "core/store_identity.hpp"

#include <fmt/format.h>

#include "annal/error.hpp"

namespace annal::detail {

void check_identity_change(std::uint64_t head) {
  if (head != 0) {
    throw invalid_argument(fmt::format(
        "a store takes another store's identity only while it is empty; this one holds events "
        "up to position {}",
        head));
  }
}

uuid new_store_id() { return uuid::v7(); }

}  // namespace annal::detail
