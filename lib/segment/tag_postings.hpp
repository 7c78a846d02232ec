// The segment store's index of tags and types: for each, the positions of the events carrying it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/query_plan.hpp"

namespace annal::segment {

/// For each stored tag and each event type, the positions of the events carrying it, ascending.
/// Not thread-safe: the store guards it with its index lock. Memory: 8 bytes a position, one
/// position per event for its type and one per tag it carries.
class tag_postings {
 public:
  /// Records that the event at `position` has `type`. Positions come in ascending order.
  void add_type(std::uint64_t position, std::string_view type);
  /// Records that the event at `position` carries `tag`. Positions come in ascending order.
  void add_tag(std::uint64_t position, std::string_view tag);
  /// Whether the event at `position` was recorded with `tag`.
  bool has_tag(std::string_view tag, std::uint64_t position) const;
  /// Whether the event at `position` was recorded with one of `types`; true for no types.
  bool has_type(std::span<const std::string> types, std::uint64_t position) const;
  /// The positions in (after, up_to] of the events carrying every tag of `plan` and of one of its
  /// types (ignoring its stream), ascending, at most `limit`. Walks the rarest tag's positions
  /// and checks the others by binary search; without tags, merges the types' positions.
  std::vector<std::uint64_t> matching(const detail::item_plan& plan, std::uint64_t after,
                                      std::uint64_t up_to, std::size_t limit) const;
  /// Forgets the positions before `position` (retention deleted their events).
  void drop_before(std::uint64_t position);

 private:
  using posting_map = std::map<std::string, std::vector<std::uint64_t>, std::less<>>;
  static const std::vector<std::uint64_t>* find(const posting_map& map, std::string_view key);
  posting_map by_type_;
  posting_map by_tag_;
};

}  // namespace annal::segment
