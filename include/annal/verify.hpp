// Checking a store end to end: every checksum, the indexes, gapless positions, stream versions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "annal/export.hpp"

namespace annal {

/// One thing verify_store() found wrong, with where it is.
struct verify_problem {
  /// The file the problem is in: a segment or index file, or the SQLite database file.
  std::string file;
  /// Byte offset in `file` where the problem is (segment and index problems), -1 when it has no
  /// single place in the file.
  std::int64_t offset = -1;
  /// The global position concerned, 0 when none.
  std::uint64_t position = 0;
  /// The stream concerned, empty when none.
  std::string stream_id;
  /// One line saying what is wrong.
  std::string message;

  friend bool operator==(const verify_problem&, const verify_problem&) = default;
};

/// What verify_store() checked and found.
struct verify_report {
  /// The URI scheme of the store: "sqlite", "segment" or "postgres".
  std::string backend;
  /// Events, streams and files that were read and checked.
  std::uint64_t events_checked = 0;
  std::uint64_t streams_checked = 0;
  std::uint64_t files_checked = 0;
  /// The problems found, in the order found; at most max_listed_problems of them.
  std::vector<verify_problem> problems;
  /// Problems found beyond max_listed_problems, counted but not listed.
  std::uint64_t unlisted_problems = 0;

  /// True when no problem was found.
  bool ok() const noexcept { return problems.empty(); }
};

/// verify_report lists at most this many problems.
inline constexpr std::size_t max_listed_problems = 1000;

/// Checks the store a URI names (see open_store()) without changing it, and lists every problem
/// with its location.
///
/// Segment backend: every segment header and frame checksum, frames that continue the log
/// (gapless positions across segments), a torn tail (reported: the next open truncates it),
/// every index sidecar against the frames it describes (batches, sparse entries, event ids,
/// covered size), stream versions contiguous, event ids unique, metadata well formed. The
/// directory's lock is taken while checking, so a store open in another process is refused.
/// SQLite backend: SQLite's integrity check, the schema version, gapless positions, stream
/// versions contiguous and in agreement with the streams table, event ids, encodings and
/// metadata well formed.
/// PostgreSQL backend, in one read-only snapshot (appends may go on): the schema version, the
/// append-only triggers, gapless positions, stream versions contiguous and in agreement with the
/// streams table, the head row, ids and metadata well formed (ids are unique by constraint).
///
/// Reads the whole store once; memory grows with the number of streams and, for the segment
/// backend, 24 bytes per event (to find repeated ids). Throws annal::invalid_argument for a
/// malformed URI, annal::io_error when the store does not exist, cannot be read, or (segment)
/// is open in another process; annal::corruption for a PostgreSQL schema without a store. Damage is
/// reported in the result, never thrown. Thread-safe.
ANNAL_EXPORT verify_report verify_store(std::string_view uri);

}  // namespace annal
