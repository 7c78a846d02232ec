// A stream's lifecycle: deletion, truncation and retention settings, and what they leave visible.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace annal {

/// How event_store::delete_stream() deletes (docs/lifecycle.md).
enum class deletion : std::uint8_t {
  /// The stream reads as empty; a later append recreates it, continuing its versions.
  soft,
  /// A tombstone: the stream reads as deleted (annal::stream_deleted) and refuses every append,
  /// forever.
  hard,
};

/// The retention settings of one stream, honoured by every read of the stream. Stored as events
/// of the stream's metadata stream, so each change has a version (docs/lifecycle.md).
struct stream_metadata {
  /// Events below this version are hidden; 0 and 1 hide nothing.
  std::uint64_t truncate_before = 0;
  /// Only the stream's last max_count events are visible; nullopt for no limit. At least 1.
  std::optional<std::uint64_t> max_count;
  /// Events recorded longer ago than this are hidden; nullopt for no limit. At least 1 s.
  std::optional<std::chrono::seconds> max_age;

  friend bool operator==(const stream_metadata&, const stream_metadata&) = default;
};

/// Where a stream stands: its version, its retention settings and its deletions.
struct stream_state {
  /// The number of events stored in the stream, hidden ones and deletion events included: the
  /// version an append's expected_version::exact() is checked against.
  std::uint64_t version = 0;
  stream_metadata metadata;
  /// The version of the stream's metadata: how many times it was set, deletions included; 0
  /// when it never was.
  std::uint64_t metadata_version = 0;
  /// The version of the stream's last deletion event, 0 when it was never deleted. Events up to
  /// it are hidden for good.
  std::uint64_t deleted_at = 0;
  /// The stream carries a tombstone (deletion::hard).
  bool tombstoned = false;

  /// The stream was deleted and nothing was appended since (a tombstoned stream always is).
  bool deleted() const noexcept { return tombstoned || (deleted_at != 0 && version == deleted_at); }
  /// The first version a read can return (before the max_age rule): 1 when nothing is hidden.
  std::uint64_t first_visible_version() const noexcept {
    std::uint64_t first = metadata.truncate_before > 1 ? metadata.truncate_before : 1;
    if (deleted_at + 1 > first) first = deleted_at + 1;
    if (metadata.max_count && version >= *metadata.max_count &&
        version - *metadata.max_count + 1 > first) {
      first = version - *metadata.max_count + 1;
    }
    return first;
  }

  friend bool operator==(const stream_state&, const stream_state&) = default;
};

}  // namespace annal
