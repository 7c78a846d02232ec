// The segment store's query index: for each tag and each event type, the positions of the events
// carrying it, and where each event's bytes are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/query_plan.hpp"

namespace annal::segment {

/// Where one event's encoding is, so that it can be read alone: its offset in its segment file,
/// its size, spot_crc() of its position and bytes (computed from a frame whose checksum held) and
/// its type.
struct event_spot {
  std::uint64_t offset = 0;
  std::uint32_t size = 0;
  std::uint32_t crc = 0;
  std::uint32_t type = 0;  // tag_postings::type_name()

  friend bool operator==(const event_spot&, const event_spot&) = default;
};

/// The checksum an event_spot holds: CRC-32C of the event's position (8 bytes, little endian)
/// followed by its bytes, so that a spot cannot pass for another position's event.
std::uint32_t spot_crc(std::uint64_t position, std::string_view bytes) noexcept;

/// For each stored tag and each event type, the positions of the events carrying it, ascending,
/// and every event's spot from the first position recorded on. Not thread-safe: the store guards
/// it with its index lock. Memory: 8 bytes a position (one per event for its type, one per tag it
/// carries) and 24 bytes an event for its spot.
class tag_postings {
 public:
  /// Records the event at `position` (the first, or one after the last recorded) with `type`,
  /// its bytes at `spot` (whose type it sets).
  void add_event(std::uint64_t position, std::string_view type, event_spot spot);
  /// Records that the event at `position` carries `tag`. Positions come in ascending order.
  void add_tag(std::uint64_t position, std::string_view tag);
  /// add_event() for consecutive events from `first_position`, each spot's type an index into
  /// `types`.
  void add_events(std::uint64_t first_position, std::span<const event_spot> spots,
                  std::span<const std::string> types);
  /// add_tag() for each of `positions` (ascending, after the tag's last recorded position).
  void add_tag_positions(std::string_view tag, std::span<const std::uint64_t> positions);
  /// Moves a recorded event's bytes (a scavenge rewrote its segment), with the type it has now.
  /// Its type's and tags' positions stay: readers check each event they read.
  void move_event(std::uint64_t position, std::string_view type, event_spot spot);
  /// Forgets that the event at `position` carries `tags` (a scavenge erased it): a tag no event
  /// carries any more is forgotten with its text.
  void forget_tags(std::uint64_t position, std::span<const std::string> tags);
  /// The spot of the event at `position`; null when it was not recorded.
  const event_spot* spot(std::uint64_t position) const;
  /// The name of a spot's type.
  const std::string& type_name(std::uint32_t type) const { return type_names_[type]; }
  /// Whether the event at `position` was recorded with `tag`.
  bool has_tag(std::string_view tag, std::uint64_t position) const;
  /// Whether the event at `position` was recorded with one of `types`; true for no types.
  bool has_type(std::span<const std::string> types, std::uint64_t position) const;
  /// The positions in (after, up_to] of the events carrying every tag of `plan` and of one of its
  /// types (ignoring its stream), ascending, at most `limit`. Walks the rarest tag's positions
  /// and checks the others by binary search; without tags, merges the types' positions.
  std::vector<std::uint64_t> matching(const detail::item_plan& plan, std::uint64_t after,
                                      std::uint64_t up_to, std::size_t limit) const;
  /// Forgets the events before `position` (retention deleted them).
  void drop_before(std::uint64_t position);

 private:
  struct type_entry {
    std::uint32_t id = 0;
    std::vector<std::uint64_t> positions;
  };
  std::uint32_t type_id(std::string_view type);
  const std::vector<std::uint64_t>* type_positions(std::string_view type) const;
  const std::vector<std::uint64_t>* tag_positions(std::string_view tag) const;

  std::map<std::string, type_entry, std::less<>> by_type_;
  std::deque<std::string> type_names_;  // by type id; a deque keeps references stable
  std::map<std::string, std::vector<std::uint64_t>, std::less<>> by_tag_;
  std::uint64_t first_spot_ = 0;  // the position of spots_[0]
  std::deque<event_spot> spots_;
};

}  // namespace annal::segment
