// The checks that a read model's checkpoints belong to the store it is run against.
#include "projection/build_origin.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "annal/error.hpp"

namespace annal::projection_detail {

namespace {

std::string event_id_at(event_store& store, std::uint64_t position,
                        std::span<const recorded_event> known) {
  if (position == 0) return {};
  auto found =
      std::lower_bound(known.begin(), known.end(), position,
                       [](const recorded_event& e, std::uint64_t p) { return e.position < p; });
  if (found != known.end() && found->position == position) return found->id.to_string();
  log_slice at = store.read_all(position, 1);
  if (at.events.empty() || at.events.front().position != position) {
    throw io_error(0, "", fmt::format("the store has no event at position {}", position));
  }
  return at.events.front().id.to_string();
}

}  // namespace

checkpoint_origin origin_at(event_store& store, const std::string& store_id, std::uint64_t position,
                            std::span<const recorded_event> known) {
  return {store_id, event_id_at(store, position, known)};
}

std::optional<std::string> origin_mismatch(event_store& store, const std::string& store_id,
                                           std::string_view name, const build_record& build) {
  if (!build.origin.store_id.empty() && build.origin.store_id != store_id) {
    return fmt::format(
        "projection '{}' build {}: the read model was built from store {}, but this store is {} "
        "(another store, or an imported copy of one)",
        name, build.build, build.origin.store_id, store_id);
  }
  std::uint64_t head = store.head_position();
  if (build.checkpoint > head) {
    return fmt::format(
        "projection '{}' build {}: its checkpoint {} is ahead of the store's head {}: the store "
        "is older than the read model (restored from an older backup?)",
        name, build.build, build.checkpoint, head);
  }
  if (build.checkpoint == 0 || build.origin.event_id.empty()) return std::nullopt;
  std::string stored = event_id_at(store, build.checkpoint, {});
  if (stored != build.origin.event_id) {
    return fmt::format(
        "projection '{}' build {}: the store's event at its checkpoint {} has id {}, but the "
        "read model recorded {}: the log has changed since the read model was built (a store "
        "restored from a backup and written to since?)",
        name, build.build, build.checkpoint, stored, build.origin.event_id);
  }
  return std::nullopt;
}

}  // namespace annal::projection_detail
