// The rules of deleted, truncated and expiring streams, once for every backend (docs/lifecycle.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "annal/event.hpp"
#include "annal/event_store.hpp"
#include "annal/stream_metadata.hpp"
#include "annal/system_events.hpp"

namespace annal::detail {

/// The type of the events of a metadata stream.
inline constexpr std::string_view metadata_event_type = "$metadata";
/// The type of a stream's tombstone, the last event of a stream deleted with deletion::hard.
/// Backends report whether a stream's last event has it (decide_append's `tombstoned`).
inline constexpr std::string_view tombstone_event_type = stream_tombstoned_event::type;
/// Whether a batch (event_data or recorded_event) ends with a tombstone, which makes its stream
/// refuse every later append.
template <class Event>
bool ends_in_tombstone(std::span<const Event> events) noexcept {
  return !events.empty() && events.back().type == tombstone_event_type;
}

/// The longest reason delete_stream() accepts, in bytes.
inline constexpr std::size_t max_deletion_reason_size = 1024;

/// "$$" + `stream_id`.
std::string metadata_stream_of(std::string_view stream_id);
/// Whether `stream_id` names a metadata stream.
bool is_metadata_stream(std::string_view stream_id) noexcept;
/// Whether `type` is one of annal's own event types ("$...").
bool is_system_event_type(std::string_view type) noexcept;

/// What one event of a metadata stream says: the stream's settings and deletions.
struct metadata_record {
  stream_metadata metadata;
  std::uint64_t deleted_at = 0;
  bool tombstoned = false;
};

/// The event that records `record` in a metadata stream.
event_data encode_metadata_record(const metadata_record& record);
/// Reads a metadata stream's event. Throws annal::corruption naming its position when it is not
/// what encode_metadata_record() writes.
metadata_record decode_metadata_record(const recorded_event& event);

/// The deletion event delete_stream() appends (stream_deleted_event or stream_tombstoned_event).
event_data deletion_event(deletion how, std::string_view reason);

/// Throws annal::invalid_argument when `metadata` has a max_count or max_age of 0, or a
/// truncate_before past `stream_version` + 1.
void validate_stream_metadata(const stream_metadata& metadata, std::uint64_t stream_version);

/// The type of an event a scavenge erased.
inline constexpr std::string_view erased_event_type = "$erased";

/// Which of a stream's events its metadata hides: versions before state.first_visible_version()
/// and, with a max_age, events recorded before `now` minus it. The rule of reads and scavenges.
class visibility {
 public:
  visibility(const stream_state& state, std::chrono::system_clock::time_point now);
  bool hides(const recorded_event& event) const noexcept;
  /// Hides everything up to `version` too (a deletion event the metadata does not know yet).
  void hide_through(std::uint64_t version) noexcept;

 private:
  std::uint64_t first_;
  std::optional<std::chrono::system_clock::time_point> oldest_;
};

/// The payload of `event`'s erased form: {"type": its type, "version": its type version,
/// "content_digest": its content_digest() in hex}, so that the log's tree still covers what it
/// was, and its place, id and timestamp, which erasure keeps, are still checked.
std::string erased_payload(const recorded_event& event);

/// Removes from `events` (one read of a stream) what `state` hides: versions
/// before state.first_visible_version(), events older than the max_age before `now`, and, for a
/// deletion event the metadata does not know yet (a crash between the two steps of
/// delete_stream()), the events up to it. Throws annal::stream_deleted when it meets a tombstone.
void drop_hidden(std::vector<recorded_event>& events, const stream_state& state,
                 std::chrono::system_clock::time_point now);

}  // namespace annal::detail
