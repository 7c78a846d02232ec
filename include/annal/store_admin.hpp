// Store administration: copying a log exactly, listing streams, describing storage, identity,
// scavenging.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "annal/event.hpp"
#include "annal/event_store.hpp"
#include "annal/export.hpp"
#include "annal/uuid.hpp"

namespace annal {

/// A stream and its version, as list_streams() reports it.
struct stream_summary {
  std::string stream_id;
  /// The number of events in the stream.
  std::uint64_t version = 0;

  friend bool operator==(const stream_summary&, const stream_summary&) = default;
};

/// What a store is and how large, as describe() reports it (what `annal info` prints).
struct store_description {
  /// The URI scheme of the backend: "sqlite", "segment" or "postgres".
  std::string backend;
  /// The version of the backend's storage format (docs/storage-format.md).
  std::uint32_t format_version = 0;
  /// How many streams have at least one event.
  std::uint64_t stream_count = 0;
  /// The size of the store's files (PostgreSQL: its tables and indexes), in bytes.
  std::uint64_t bytes_on_disk = 0;
  /// How many segment files the log spans, archived ones included; 0 for backends without
  /// segments.
  std::uint64_t segment_count = 0;
  /// How many of them are in the archive directory (store_options::segment_archive_dir).
  std::uint64_t archived_segment_count = 0;
  /// The first position the log holds: 1, or on the segment log after retention deleted its
  /// oldest segments, the base position of the first segment left.
  std::uint64_t first_position = 1;
};

/// Appends events to `store` exactly as another store recorded them, keeping their positions,
/// stream versions, ids and timestamp: what `annal import` and `annal migrate` use to copy a
/// log.
///
/// The events form one atomic batch of one stream with one timestamp, at consecutive
/// positions and versions. The first position must be the head position + 1 and the first
/// version the stream's version + 1. Throws annal::invalid_argument when the events do not
/// form such a batch, fail the checks of append() (personal data in `{"$personal": ...}` is
/// encrypted as append() does), or the first position is not head + 1
/// (nothing is written); annal::wrong_expected_version when the first version is not the
/// stream's version + 1; annal::duplicate_event_id when an event id is already stored
/// anywhere (there is no retry rule here: skipping what is already stored is the caller's
/// decision); annal::store_closed after close(). Thread-safe, also with concurrent append()
/// calls, which may make the head move under the caller.
ANNAL_EXPORT append_result append_recorded(event_store& store,
                                           std::span<const recorded_event> events);

/// Lists up to `max_count` streams of `store` whose id starts with `prefix` and sorts
/// (bytewise) after `after`, in bytewise order of their ids, with their versions. Page through
/// every stream by passing the last id returned as `after`. Throws annal::invalid_argument for a
/// max_count of 0, annal::store_closed after close(). On the segment backend each call sorts the
/// matching streams: O(n log n) in their number. Thread-safe.
ANNAL_EXPORT std::vector<stream_summary> list_streams(event_store& store,
                                                      std::string_view prefix = {},
                                                      std::string_view after = {},
                                                      std::size_t max_count = unlimited);

/// The backend of `store`, its format version, the number of streams and the size of the
/// store's files. Throws annal::store_closed after close(), annal::io_error when the storage
/// fails. Thread-safe.
ANNAL_EXPORT store_description describe(event_store& store);

/// Gives `store` the identity `id` of the store whose log it is about to receive whole, event
/// by event at the same positions (what `annal migrate` does to a new target), so that read
/// models built from the source stay valid for the copy (docs/concepts.md, "Store identity").
/// Allowed only while the store holds no event; giving a store the identity it has is a no-op.
/// Throws annal::invalid_argument for a nil id or when the store holds events (nothing
/// changes), annal::store_closed after close(). Thread-safe.
ANNAL_EXPORT void adopt_store_id(event_store& store, const uuid& id);

/// What scavenge() erased, or for a dry run would erase.
struct scavenge_report {
  /// Streams with metadata (settings or a deletion) looked at.
  std::uint64_t streams_examined = 0;
  /// Events erased: hidden by a deletion, truncation, max count or max age, and not annal's own.
  std::uint64_t events_erased = 0;
  /// The bytes of their payloads and metadata.
  std::uint64_t bytes_erased = 0;
  /// Hidden events left as they are for now: on the segment log, those in the active segment,
  /// which a scavenge after the segment is sealed erases. Always 0 for a dry run, which counts
  /// them in events_erased.
  std::uint64_t events_deferred = 0;
  bool dry_run = false;
};

struct scavenge_options {
  /// Find and count what would be erased, erase nothing.
  bool dry_run = false;
  /// Called after each examined stream with the report so far; may be empty.
  std::function<void(const scavenge_report&)> on_progress;
};

/// Erases the events that stream metadata hides (docs/lifecycle.md): each
/// becomes an event of type "$erased" whose payload names the type and version it had, at the
/// same position, stream, version, id and timestamp, without metadata. Deletion and metadata
/// events stay. On SQLite and PostgreSQL each transaction erases whole streams; the segment log
/// rewrites each sealed segment file atomically and leaves the active segment's events for a
/// later scavenge (scavenge_report::events_deferred). A scavenge stopped half-way leaves
/// hidden events erased or intact, never damaged, and running it again finishes the work.
/// Appends and reads go on meanwhile; concurrent scavenges of one store take turns. Throws
/// annal::store_closed after close(), annal::io_error when the storage fails, annal::corruption
/// when a segment to rewrite is damaged (nothing changes). Thread-safe.
ANNAL_EXPORT scavenge_report scavenge(event_store& store, const scavenge_options& options = {});

/// The global log from `from_position` as the backend stores it, for integrity checks
/// (docs/integrity.md): personal fields still sealed (whether or not their subject was
/// forgotten), every event in its place. Same paging and errors as event_store::read_all()
/// without a filter. Thread-safe.
ANNAL_EXPORT log_slice read_stored_log(event_store& store, std::uint64_t from_position,
                                       std::size_t max_count);

}  // namespace annal
