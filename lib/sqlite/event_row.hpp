// Reading an event from a row of the SQLite backend's events table.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "annal/event.hpp"
#include "sqlite/connection.hpp"

namespace annal::sqlite {

/// Columns every event query selects, in this order (table alias `e`).
inline constexpr const char* event_columns =
    "e.position, e.stream_version, e.type, e.event_id, e.timestamp_us, e.encoding, e.metadata, "
    "e.payload, e.type_version, e.tags";
/// Log reads select the stream id after event_columns: its column index.
inline constexpr int stream_id_column = 10;

/// An event's tags (sorted, as core hands them to a backend) as the events table stores them:
/// joined by NUL bytes; empty for none.
std::string stored_tags(const std::vector<std::string>& tags);
/// The tags a non-NULL `tags` column holds.
std::vector<std::string> split_stored_tags(std::string_view stored);

/// The event in the current row of `s`, which selected event_columns first. Throws
/// annal::corruption naming `path` for an id that is not 16 bytes, malformed metadata or a type
/// version out of range.
recorded_event read_event_row(const statement& s, std::string stream_id, const std::string& path);

}  // namespace annal::sqlite
