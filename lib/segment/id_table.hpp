// The segment backend's table of every stored event id and its position, for the idempotency rule.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "annal/uuid.hpp"

namespace annal::segment {

/// Maps every stored event id to its position, in two parts. UUIDv7 ids grow with time, so most
/// ids arrive larger than every id before them: those go to the end of a sorted array, and an
/// id larger than the array's last is known to be new without a lookup. Ids that arrive out of
/// order go to a hash table with open addressing (24-byte slots, at most half full). A lookup of
/// an id that is not the newest binary-searches the array and probes the table.
/// The nil id is never stored. Not thread-safe: the writer inserts; readers hold the store's
/// index lock.
class id_table {
 public:
  /// The position of `id`, if stored.
  std::optional<std::uint64_t> find(const uuid& id) const noexcept;
  /// Records `id` at `position`. The id must not be in the table already, and positions must be
  /// inserted in increasing order.
  void insert(const uuid& id, std::uint64_t position);
  /// Every entry whose position is at least `position`, sorted run first (in position order).
  std::vector<std::pair<uuid, std::uint64_t>> entries_from(std::uint64_t position) const;
  std::size_t size() const noexcept { return sorted_.size() + unordered_; }
  void clear() noexcept;

 private:
  // The id as two words: comparing and testing for nil are then two integer operations.
  struct slot {
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    std::uint64_t position = 0;
    bool empty() const noexcept { return (high | low) == 0; }
  };
  std::size_t index_of(std::uint64_t high, std::uint64_t low) const noexcept;
  void grow(std::size_t capacity);
  void insert_unordered(std::uint64_t high, std::uint64_t low, std::uint64_t position);
  std::deque<slot> sorted_;  // strictly increasing ids, and so positions; grows without copying
  std::vector<slot> slots_;  // the hash table of out-of-order ids
  std::size_t unordered_ = 0;
};

}  // namespace annal::segment
