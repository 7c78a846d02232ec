// The events annal itself writes into users' streams, for projections to handle.
#pragma once

#include <string>
#include <string_view>

namespace annal {

/// Written at the end of a stream by event_store::delete_stream() with deletion::soft. Add it to
/// a projection's event variant to drop the stream's rows (docs/lifecycle.md). Its
/// recorded_event::stream_id is the deleted stream; the event itself is hidden from read_stream().
struct stream_deleted_event {
  static constexpr std::string_view type = "$stream_deleted";
  /// Why, as the caller of delete_stream() said; may be empty.
  std::string reason;

  friend bool operator==(const stream_deleted_event&, const stream_deleted_event&) = default;
};

/// Written at the end of a stream by event_store::delete_stream() with deletion::hard: the
/// stream's tombstone, always its last event.
struct stream_tombstoned_event {
  static constexpr std::string_view type = "$stream_tombstoned";
  /// Why, as the caller of delete_stream() said; may be empty.
  std::string reason;

  friend bool operator==(const stream_tombstoned_event&, const stream_tombstoned_event&) = default;
};

/// Written by event_store::forget() to the stream subject_forgotten_event::stream once the
/// subject's key is destroyed. Add it to a projection's event variant to drop the rows a read
/// model keeps about the subject (docs/privacy.md).
struct subject_forgotten_event {
  static constexpr std::string_view type = "$subject_forgotten";
  /// The stream annal appends these events to.
  static constexpr std::string_view stream = "$subjects";
  /// The subject whose key was destroyed.
  std::string subject;

  friend bool operator==(const subject_forgotten_event&, const subject_forgotten_event&) = default;
};

}  // namespace annal
