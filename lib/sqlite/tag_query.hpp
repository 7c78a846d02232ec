// Finding the positions of the events a query matches, from the SQLite backend's indexes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "annal/query.hpp"
#include "sqlite/connection.hpp"

namespace annal::sqlite {

/// The positions after `after` and up to `up_to` of the events that `q` matches, ascending, at
/// most `limit` of them. Each item is served by an index: its first tag's rows of `event_tags`
/// (the others and the type checked per row), its stream's (stream, version) index, or for types
/// alone the (type, position) index, one type at a time; so the cost grows with the events the
/// items' first tags, streams or types hold after `after`, not with the log. query::all() reads
/// positions directly. Runs on `db` in the caller's transaction; throws what SQLite throws.
std::vector<std::uint64_t> matching_positions(connection& db, const query& q, std::uint64_t after,
                                              std::uint64_t up_to, std::size_t limit);

}  // namespace annal::sqlite
