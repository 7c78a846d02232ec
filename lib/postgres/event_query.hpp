// The SQL that finds the positions of the events a query matches, from the PostgreSQL backend's
// B-tree indexes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "annal/query.hpp"

namespace annal::pg {

/// A SELECT of positions and the parameters it takes after the first two ($1 the limit, int8 or
/// NULL for none; $2 the position after which, int8): from $3 on, `texts` in order (text, or
/// text[] in binary array format).
struct position_select {
  std::string sql;
  std::vector<std::string> texts;
};

/// The positions of `events_table` after $2 and up to `up_to` (an SQL expression: an integer or a
/// subquery) of the events that the items of `q` match, ascending, at most $1, or nullopt when
/// no item can match (two streams' tags in one item). `q` must not match all events. Each item is
/// one or more index range scans (an "arm"): its first tag's rows of `event_tags_table` (the
/// other tags and the type checked per row by primary key), its stream's (stream_id,
/// stream_version) index, or for types alone the (type, position) index, one type at a time;
/// the arms are merged by UNION. Never throws but std::bad_alloc.
std::optional<position_select> matching_positions(const query& q, const std::string& events_table,
                                                  const std::string& event_tags_table,
                                                  std::string_view up_to);

}  // namespace annal::pg
