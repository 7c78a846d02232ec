// The event store interface that every backend implements.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "annal/event.hpp"
#include "annal/expected_version.hpp"
#include "annal/export.hpp"
#include "annal/query.hpp"
#include "annal/snapshot_store.hpp"
#include "annal/stream_metadata.hpp"

namespace annal {

/// Longest accepted stream id, in bytes.
inline constexpr std::size_t max_stream_id_size = 256;
/// Stream ids starting with this are metadata streams, written by annal only: "$$" followed by
/// the id of the stream they describe (docs/lifecycle.md).
inline constexpr std::string_view metadata_stream_prefix = "$$";
/// Event types starting with this are annal's own (annal/system_events.hpp); append() refuses
/// them.
inline constexpr std::string_view system_event_type_prefix = "$";
/// Longest accepted event type name, in bytes.
inline constexpr std::size_t max_event_type_size = 256;
/// Stands for "the last event of the stream" as the start of a backward read.
inline constexpr std::uint64_t end_of_stream = std::numeric_limits<std::uint64_t>::max();
/// "As many as there are" for a read's max_count.
inline constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();

/// What a successful append did.
struct append_result {
  /// Global positions of the batch's first and last events; a batch's positions are contiguous.
  std::uint64_t first_position = 0;
  std::uint64_t last_position = 0;
  /// The stream's version after the append: pass it as expected_version::exact() next time.
  std::uint64_t next_expected_version = 0;
  /// False when the append was recognised as a retry of a batch already stored, in which case
  /// nothing was written and the fields above describe the stored batch.
  bool written = true;

  friend bool operator==(const append_result&, const append_result&) = default;
};

enum class read_direction : std::uint8_t { forward, backward };

/// Narrows a read of the global log. An empty filter matches every event.
struct read_filter {
  /// Keep only events whose type is one of these; empty means every type.
  std::vector<std::string> event_types;
  /// Keep only events whose stream id starts with this; empty means every stream.
  std::string stream_prefix;

  bool empty() const noexcept { return event_types.empty() && stream_prefix.empty(); }
};

/// A page of the global log.
struct log_slice {
  /// Matching events in position order.
  std::vector<recorded_event> events;
  /// Where the next read should start. A filtered read scans a bounded window of the log, so
  /// it may return fewer events than asked for (even none) while more follow: continue from
  /// next_position until end_of_log is true. Storing next_position as a checkpoint skips the
  /// events the filter passed over.
  std::uint64_t next_position = 1;
  /// True when the read reached the head of the log as it was at the time of the read.
  bool end_of_log = false;
};

namespace detail {
class key_store;
}

struct stream_summary;
struct store_description;
struct scavenge_options;
struct scavenge_report;
class event_store;

/// One event a scavenge erases: its position and the payload of its erased form (type
/// "$erased"; docs/lifecycle.md). What backends receive in do_erase_events().
struct event_erasure {
  std::uint64_t position = 0;
  std::string payload;
};

/// Administration (declared in annal/store_admin.hpp); friends of event_store.
ANNAL_EXPORT append_result append_recorded(event_store& store,
                                           std::span<const recorded_event> events);
ANNAL_EXPORT std::vector<stream_summary> list_streams(event_store& store, std::string_view prefix,
                                                      std::string_view after,
                                                      std::size_t max_count);
ANNAL_EXPORT store_description describe(event_store& store);
ANNAL_EXPORT void adopt_store_id(event_store& store, const uuid& id);
ANNAL_EXPORT scavenge_report scavenge(event_store& store, const scavenge_options& options);
ANNAL_EXPORT log_slice read_stored_log(event_store& store, std::uint64_t from_position,
                                       std::size_t max_count);

/// An append-only log of events, organised in streams.
///
/// Positions are global, start at 1 and have no gaps, in commit order. Stream versions start at
/// 1 and have no gaps. A store is safe to share between threads: every member function may be
/// called concurrently. The object must outlive every call in progress on it.
///
/// Every member function throws annal::store_closed after close(), and annal::io_error or
/// annal::corruption when the storage underneath fails.
class ANNAL_EXPORT event_store {
 public:
  virtual ~event_store();
  event_store(const event_store&) = delete;
  event_store& operator=(const event_store&) = delete;

  /// Appends a batch of events to a stream, atomically: all of them or none.
  ///
  /// Throws annal::wrong_expected_version when the stream's version does not satisfy
  /// `expected` (nothing is written); annal::duplicate_event_id when an event id is already
  /// stored and the append is not an exact retry of the batch that stored it;
  /// annal::invalid_argument for an invalid stream id (empty, longer than 256 bytes, or
  /// containing NUL), an empty batch, an invalid type name, a nil or repeated event id, or a
  /// payload over the store's max_payload_size (store_options), a metadata stream id ("$$...")
  /// or a system event type ("$..."), a subject (event_metadata::subject) over max_subject_size,
  /// with NUL or not UTF-8, and personal data (docs/privacy.md) without a subject, of a forgotten
  /// subject, or in a "$personal" member not alone in its object. Personal data is encrypted with
  /// its subject's key, which is created durably first when the subject has none. Throws
  /// annal::stream_deleted for a tombstoned stream. On a stream whose events are all hidden
  /// (soft-deleted, truncated or expired: docs/lifecycle.md), expected_version::no_stream and
  /// exact(0) stand for the stream's last version, so that the append recreates it. A retry of a
  /// batch already stored at the same place is a success that writes nothing
  /// (append_result::written is false).
  append_result append(std::string_view stream_id, expected_version expected,
                       std::span<const event_data> events);
  /// Appends one event; see the batch overload.
  append_result append(std::string_view stream_id, expected_version expected,
                       const event_data& event);

  /// Appends a batch to a stream only if no event matching `condition.fail_if_events_match` is
  /// stored after position `condition.after` (docs/dcb.md), atomically with that check and with
  /// the expected version's; `expected_version::any()` leaves the stream unconstrained. Throws
  /// what the unconditional overload throws, and annal::append_condition_failed (nothing written)
  /// naming the first conflicting position; annal::invalid_argument when `condition.after` is
  /// beyond the head, or when the backend does not support conditional appends. A retry of a
  /// batch already stored at the same place is recognised first, even though the batch's own
  /// events now match the condition (append_result::written is false).
  append_result append(std::string_view stream_id, expected_version expected,
                       std::span<const event_data> events, const append_condition& condition);
  /// Appends one event conditionally; see the batch overload.
  append_result append(std::string_view stream_id, expected_version expected,
                       const event_data& event, const append_condition& condition);
  /// A conditional append that names no stream, as the DCB specification's append: the batch
  /// goes to the stream dcb_stream_id with expected_version::any(), so only the condition guards
  /// it. Throws as the overload above.
  append_result append(std::span<const event_data> events, const append_condition& condition);
  /// Appends one event conditionally without a stream; see the overload above.
  append_result append(const event_data& event, const append_condition& condition);

  /// Reads up to `max_count` events of the global log after position `after` (exclusive; 0 for
  /// the start) that match `q`, in position order, from an index (cost grows with the matching
  /// events, not the log). Like read_all(), it reads the log as stored: events hidden by stream
  /// metadata are included. Personal data reads as in read_stream(). Throws
  /// annal::invalid_argument for a max_count of 0, or when the backend does not serve queries.
  query_page read_events(const query& q, std::uint64_t after = 0,
                         std::size_t max_count = unlimited);

  /// Reads up to `max_count` events of one stream, starting at version `from_version`
  /// (inclusive) and going forward (versions ascending) or backward (descending; pass
  /// end_of_stream to start at the last event). Returns an empty vector for a stream with no
  /// events. Events the stream's metadata hides (truncated, beyond max_count or max_age, up to
  /// the last deletion; docs/lifecycle.md) are skipped and count for nothing: a soft-deleted
  /// stream reads as empty. Personal data reads decrypted, or erased once its subject was
  /// forgotten (docs/privacy.md). Throws annal::stream_deleted for a tombstoned stream,
  /// annal::invalid_argument for an invalid stream id or a max_count of 0, annal::corruption when
  /// sealed personal data fails authentication or its subject's key is missing.
  std::vector<recorded_event> read_stream(std::string_view stream_id,
                                          std::uint64_t from_version = 1,
                                          read_direction direction = read_direction::forward,
                                          std::size_t max_count = unlimited);

  /// Reads up to `max_count` events of the global log from `from_position` (inclusive; 0 and 1
  /// both mean the start) that match `filter`. Personal data reads as in read_stream(). Throws
  /// annal::invalid_argument for a max_count of 0, annal::corruption as read_stream() does.
  log_slice read_all(std::uint64_t from_position, std::size_t max_count,
                     const read_filter& filter = {});

  /// The stream's current version: the number of events in it, 0 when it has none.
  std::uint64_t stream_version(std::string_view stream_id);

  /// Deletes a stream by appending a deletion event to it (annal::stream_deleted_event or, for
  /// deletion::hard, annal::stream_tombstoned_event), checked against `expected` like any
  /// append, then recording the deletion in the stream's metadata. A soft-deleted stream reads
  /// as empty until an append recreates it (expected_version::no_stream works again, versions
  /// continue); a tombstoned one throws annal::stream_deleted on reads and appends, forever. The
  /// events stay in the global log (read_all) with their positions. Returns where the deletion
  /// event is. Soft-deleting a stream already soft-deleted returns the stored deletion
  /// (written false). Throws annal::stream_not_found for a stream with no events,
  /// annal::stream_deleted for a tombstoned one, annal::wrong_expected_version, and
  /// annal::invalid_argument for an invalid stream id or a reason over 1024 bytes.
  append_result delete_stream(std::string_view stream_id, expected_version expected,
                              deletion how = deletion::soft, std::string_view reason = {});

  /// Replaces the stream's retention settings (truncate-before, max-count, max-age), checked
  /// against `expected_metadata_version` (the stream_state::metadata_version it was read at).
  /// Returns the new metadata version. The stream need not exist. Throws
  /// annal::wrong_expected_version (for the metadata's version), annal::invalid_argument for a
  /// truncate_before past the stream's version + 1, a max_count or max_age of 0, or an invalid
  /// stream id, and annal::stream_deleted for a tombstoned stream.
  std::uint64_t set_stream_metadata(
      std::string_view stream_id, const stream_metadata& metadata,
      expected_version expected_metadata_version = expected_version::any());

  /// The stream's version, retention settings and deletions. Throws annal::invalid_argument for
  /// an invalid stream id.
  stream_state read_stream_state(std::string_view stream_id);

  /// Crypto-shredding (docs/privacy.md): destroys the key of `subject`, after which the
  /// annal::personal fields of its events read as erased everywhere (read_stream, read_all,
  /// snapshots), and appends an annal::subject_forgotten_event to the stream
  /// subject_forgotten_event::stream. Later appends of events with personal fields for the
  /// subject throw annal::invalid_argument. Returns true when a key was destroyed, false when the
  /// subject had none (it is then recorded as forgotten all the same) or was forgotten already
  /// (nothing is written). Throws annal::invalid_argument for an empty subject, one longer than
  /// max_subject_size or containing NUL.
  bool forget(std::string_view subject);

  /// The position of the last event in the log, 0 when the log is empty.
  std::uint64_t head_position();

  /// Blocks until the log's head reaches `position` or `timeout` passes, and says which.
  /// Appends through this object wake waiters at once; appends by another process (or another
  /// store object on the same storage) are seen by polling at the store's poll interval.
  /// Throws annal::store_closed when the store is closed, also while waiting.
  bool wait_for(std::uint64_t position, std::chrono::milliseconds timeout);

  /// Releases the storage. Later calls throw annal::store_closed; waiters in wait_for() wake
  /// and throw it. Idempotent. Calls already running finish first.
  void close();

  /// Whether close() was called.
  bool is_closed() const noexcept;

  /// The identity of the storage this store reads: a random id written when the store was
  /// created, the same for every store object and process on that storage, and kept by `annal
  /// migrate` (see annal::adopt_store_id()). A copy of the files (a backup restored) keeps it too.
  /// Read models record it to notice that they were built from another store
  /// (docs/concepts.md, "Store identity").
  uuid store_id();

  /// The snapshot store kept beside this store's events. The reference is valid as long as this
  /// object; each call through it counts as a call on this store: close() waits for the calls in
  /// progress, and calls after close() throw annal::store_closed.
  snapshot_store& snapshots();

 protected:
  event_store();

  friend append_result append_recorded(event_store&, std::span<const recorded_event>);
  friend std::vector<stream_summary> list_streams(event_store&, std::string_view, std::string_view,
                                                  std::size_t);
  friend store_description describe(event_store&);
  friend void adopt_store_id(event_store&, const uuid&);
  friend scavenge_report scavenge(event_store&, const scavenge_options&);
  friend log_slice read_stored_log(event_store&, std::uint64_t, std::size_t);

  // Backends implement these. Arguments are already validated and the store is open; batches
  // come sealed (personal fields encrypted) with each event's tags sorted.
  virtual append_result do_append(std::string_view stream_id, expected_version expected,
                                  std::span<const event_data> events) = 0;
  virtual std::vector<recorded_event> do_read_stream(std::string_view stream_id,
                                                     std::uint64_t from_version,
                                                     read_direction direction,
                                                     std::size_t max_count) = 0;
  virtual log_slice do_read_all(std::uint64_t from_position, std::size_t max_count,
                                const read_filter& filter) = 0;
  /// A conditional append. The default throws
  /// annal::invalid_argument: the backend does not support them.
  virtual append_result do_append_conditional(std::string_view stream_id, expected_version expected,
                                              std::span<const event_data> events,
                                              const append_condition& condition);
  /// Reads events matching a query (max_count at least 1). The default throws
  /// annal::invalid_argument: the backend does not serve queries.
  virtual query_page do_read_events(const query& q, std::uint64_t after, std::size_t max_count);
  virtual std::uint64_t do_stream_version(std::string_view stream_id) = 0;
  virtual std::uint64_t do_head_position() = 0;
  /// Called with a validated batch (one stream, one timestamp, consecutive positions and
  /// versions, valid fields); the backend checks the head, the stream version and the ids.
  virtual append_result do_append_recorded(std::span<const recorded_event> events) = 0;
  virtual std::vector<stream_summary> do_list_streams(std::string_view prefix,
                                                      std::string_view after,
                                                      std::size_t max_count) = 0;
  virtual store_description do_describe() = 0;
  /// Called once, by the first close(), when no other call is running.
  virtual void do_close() = 0;
  virtual snapshot_store& do_snapshots() = 0;
  /// The keys of the subjects whose personal data the store holds (core/key_store.hpp). Null
  /// for a store that forwards its calls to another event_store, which seals and unseals.
  virtual detail::key_store* do_keys() = 0;
  virtual uuid do_store_id() = 0;
  /// Replaces the stored identity with `id`, atomically with a check that the log is empty
  /// (annal::invalid_argument naming the head otherwise).
  virtual void do_adopt_store_id(const uuid& id) = 0;

  /// Erases events: each becomes type "$erased" at type version 1 with the given JSON payload
  /// and no metadata, keeping its position, stream, version, id and timestamp. `erasures` are in
  /// position order, of events that are not annal's own, and make up whole streams' hidden
  /// events (scavenge() calls it). Erases a prefix of them and returns its length: the events
  /// after it are left for a later scavenge (the segment log's active segment). Each unit the
  /// backend writes (a transaction, a segment file) is erased whole or not at all. The default
  /// throws annal::invalid_argument: the backend cannot erase.
  virtual std::size_t do_erase_events(std::span<const event_erasure> erasures);

  /// Backends call this after each commit with the new head, to wake wait_for() at once.
  void publish_head(std::uint64_t head) noexcept;
  /// How often wait_for() asks the backend for its head, to see appends made elsewhere.
  void set_poll_interval(std::chrono::milliseconds interval) noexcept;
  /// The largest payload append() accepts. Throws annal::invalid_argument unless `size` is 1 to
  /// annal::max_payload_size. Backends call it from their constructor.
  void set_max_payload_size(std::size_t size);
  /// How many erasures scavenge() gathers, always of whole streams, before it calls
  /// do_erase_events(): 1, the default, makes one call per stream, which keeps each transaction
  /// short; a backend that rewrites whole files asks for many, so that it rewrites each file once
  /// for many streams. Backends call it from their constructor; 0 counts as 1.
  void set_erasures_per_call(std::size_t count) noexcept;
  /// Says that the backend stores event tags; until a backend calls it (from its constructor),
  /// appends of events with tags are refused with annal::invalid_argument, never dropped.
  void set_stores_tags() noexcept;

 private:
  /// append() with or without a condition: validation, sealing, then the backend.
  append_result append_batch(std::string_view stream_id, expected_version expected,
                             std::span<const event_data> events, const append_condition* condition);
  /// The stream's retention settings and deletions as its metadata stream records them
  /// (stream_state::version left 0), for the calls that already hold a call_guard.
  stream_state stored_lifecycle(std::string_view stream_id);

  struct shared_state;
  class call_guard;
  class guarded_snapshots;
  std::unique_ptr<shared_state> state_;
  std::unique_ptr<guarded_snapshots> snapshots_;
};

/// Throws annal::invalid_argument unless `stream_id` is 1 to 256 bytes without NUL, or a
/// metadata stream id ("$$" and such an id).
ANNAL_EXPORT void validate_stream_id(std::string_view stream_id);

}  // namespace annal
