// Aggregate snapshots: the stored form, and the store every backend keeps beside its events.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "annal/export.hpp"

namespace annal {

/// How a snapshot's state is encoded.
enum class snapshot_encoding : std::uint8_t {
  json = 1,  ///< UTF-8 JSON text, as the event codec writes.
  cbor = 2,  ///< CBOR (RFC 8949) of the same JSON value: smaller and faster to decode.
};

/// An aggregate's state as of one version of its stream.
struct snapshot {
  std::string stream_id;
  /// The stream version the state reflects: the state after folding events 1..version.
  std::uint64_t version = 0;
  /// The global position of the event at `version`.
  std::uint64_t position = 0;
  /// The repository category that wrote it, so one aggregate type's snapshots can be dropped.
  std::string aggregate_type;
  /// The schema fingerprint of the state type (see annal::schema_fingerprint). A snapshot is
  /// only ever decoded into a type with the same fingerprint.
  std::uint64_t fingerprint = 0;
  snapshot_encoding encoding = snapshot_encoding::json;
  std::string payload;
  /// When it was taken, UTC, microsecond precision.
  std::chrono::system_clock::time_point taken_at;

  friend bool operator==(const snapshot&, const snapshot&) = default;
};

/// What snapshot_store::load() found besides the snapshot it returns.
struct snapshot_lookup {
  std::optional<snapshot> found;
  /// Snapshots of the stream within the limits that were passed over because their fingerprint
  /// differs (written by an older or newer version of the state type).
  std::size_t mismatched = 0;
};

/// Where a backend keeps snapshots: a table in the SQLite file, files beside the segments.
/// Snapshots are derived data: losing them loses nothing but load time.
///
/// Thread-safe. Owned by its event store: valid until that store's close(). Every function
/// throws annal::io_error when the storage fails and annal::invalid_argument for an invalid
/// stream id.
class ANNAL_EXPORT snapshot_store {
 public:
  virtual ~snapshot_store() = default;

  /// Stores `s`, replacing a snapshot with the same stream, version and fingerprint, then keeps
  /// only the `keep` newest snapshots of the stream (by version, whatever their fingerprint;
  /// `keep` of 0 counts as 1). Atomic: a crash leaves the old snapshots or the new set.
  virtual void save(const snapshot& s, std::size_t keep) = 0;

  /// The newest snapshot of `stream_id` with `fingerprint` whose version is at most
  /// `max_version` and whose position is at most `max_position`.
  virtual snapshot_lookup load(
      std::string_view stream_id, std::uint64_t fingerprint,
      std::uint64_t max_version = std::numeric_limits<std::uint64_t>::max(),
      std::uint64_t max_position = std::numeric_limits<std::uint64_t>::max()) = 0;

  /// Removes every snapshot whose aggregate_type is `aggregate_type`; returns how many.
  virtual std::size_t drop_type(std::string_view aggregate_type) = 0;

  /// How many snapshots are stored (all streams).
  virtual std::size_t count() = 0;
};

}  // namespace annal
