// Events to and from PostgreSQL's binary formats: COPY rows for appends, result rows for reads.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "annal/event.hpp"
#include "postgres/connection.hpp"

namespace annal::pg {

/// The columns every event query selects, in the order read_event() expects.
inline constexpr const char* event_columns =
    "position, stream_id, stream_version, type, event_id, recorded_at, metadata, payload, "
    "payload_bytes, type_version, tags";
/// How many columns event_columns names.
inline constexpr int event_column_count = 11;

/// event_columns for a schema at `schema_version`, which may be older than the current one (for
/// verify, which never migrates): before version 4 every event has type version 1, before
/// version 8 no event has tags.
std::string event_columns_at(std::int64_t schema_version);

/// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01 UTC).
inline constexpr std::int64_t postgres_epoch_us = 946684800LL * 1000000;

/// A timestamptz in binary format: microseconds since PostgreSQL's epoch.
std::int64_t to_timestamptz(std::chrono::system_clock::time_point t);
std::chrono::system_clock::time_point from_timestamptz(std::int64_t value);

/// Builds the data of one `COPY events (event_columns) FROM STDIN (FORMAT binary)`.
class copy_buffer {
 public:
  copy_buffer();
  /// Adds one event row. `metadata` is the encoded metadata JSON, empty for none; `tags` are
  /// stored as given (sorted by the caller), NULL for none.
  void add(std::uint64_t position, std::string_view stream_id, std::uint64_t stream_version,
           std::string_view type, const uuid& id, std::int64_t timestamptz,
           std::string_view metadata, payload_encoding encoding, std::string_view payload,
           std::uint32_t type_version, const std::vector<std::string>& tags);
  bool empty() const noexcept { return rows_ == 0; }
  /// The complete COPY data, trailer included. Call once, after the last add().
  std::string_view finish();

 private:
  void field(std::string_view bytes);
  void null_field();

  std::string data_;
  std::size_t rows_ = 0;
};

/// Reads row `row` of a binary result of `SELECT event_columns`. Throws annal::corruption
/// (naming `where`) for a row that is not a valid event.
recorded_event read_event(const result& r, int row, const std::string& where);

}  // namespace annal::pg
