// Each query item as one indexed SELECT of positions (an "arm"); the arms' results merged.
#include "sqlite/tag_query.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/query_plan.hpp"
#include "core/sql_integer.hpp"

namespace annal::sqlite {
namespace {

using detail::to_sql;
using parameter = std::variant<std::int64_t, std::string>;

// One SELECT of positions in ascending order, with its parameters (?1 is the limit, ?2 the
// position after which, ?3 the position up to which).
struct arm {
  std::string sql;
  std::vector<parameter> parameters;
};

std::optional<std::int64_t> key_of(connection& db, const char* sql, std::string_view value) {
  statement s = db.prepare(sql);
  s.bind(1, value);
  if (!s.step()) return std::nullopt;
  return s.column_int(0);
}

// Appends " AND e.type IN (?n, ...)" for `types` to `sql`, numbering from `parameters`.
void add_type_filter(arm& a, const std::vector<std::string>& types, const char* column) {
  if (types.empty()) return;
  a.sql += fmt::format(" AND {} IN (", column);
  for (std::size_t i = 0; i < types.size(); ++i) {
    a.parameters.emplace_back(types[i]);
    a.sql += fmt::format("{}?{}", i == 0 ? "" : ", ", a.parameters.size() + 3);
  }
  a.sql += ")";
}

// The arms of one item; none when it cannot match (an unknown tag or stream, two streams).
std::vector<arm> arms_of(connection& db, const query_item& item) {
  auto plan = detail::plan_item(item);
  if (!plan) return {};
  std::vector<std::int64_t> tag_keys;
  for (std::string_view tag : plan->tags) {
    auto key = key_of(db, "SELECT tag_key FROM tags WHERE tag = ?1", tag);
    if (!key) return {};
    tag_keys.push_back(*key);
  }
  const auto& stream = plan->stream;
  std::optional<std::int64_t> stream_key;
  if (stream) {
    stream_key = key_of(db, "SELECT stream_key FROM streams WHERE stream_id = ?1", *stream);
    if (!stream_key) return {};
  }
  std::vector<arm> arms;
  if (!tag_keys.empty()) {
    arm a;
    a.sql =
        "SELECT et.position FROM event_tags et WHERE et.tag_key = ?4 AND et.position > ?2 AND "
        "et.position <= ?3";
    a.parameters.emplace_back(tag_keys[0]);
    for (std::size_t i = 1; i < tag_keys.size(); ++i) {
      a.parameters.emplace_back(tag_keys[i]);
      a.sql += fmt::format(
          " AND EXISTS (SELECT 1 FROM event_tags x WHERE x.tag_key = ?{} AND x.position = "
          "et.position)",
          a.parameters.size() + 3);
    }
    if (stream_key || !item.types.empty()) {
      a.sql += " AND EXISTS (SELECT 1 FROM events e WHERE e.position = et.position";
      if (stream_key) {
        a.parameters.emplace_back(*stream_key);
        a.sql += fmt::format(" AND e.stream_key = ?{}", a.parameters.size() + 3);
      }
      add_type_filter(a, item.types, "e.type");
      a.sql += ")";
    }
    a.sql += " ORDER BY et.position LIMIT ?1";
    arms.push_back(std::move(a));
  } else if (stream_key) {
    // Versions and positions of a stream grow together: the (stream, version) index in order,
    // from the version after the last one at or before `after` (found scanning back from the
    // stream's end, so both scans cost the stream's events after `after`).
    arm a;
    a.parameters.emplace_back(*stream_key);
    a.sql =
        "SELECT e.position FROM events e WHERE e.stream_key = ?4 AND e.stream_version > "
        "coalesce((SELECT b.stream_version FROM events b WHERE b.stream_key = ?4 AND "
        "b.position <= ?2 ORDER BY b.stream_version DESC LIMIT 1), 0) AND e.position > ?2 AND "
        "e.position <= ?3";
    add_type_filter(a, item.types, "e.type");
    a.sql += " ORDER BY e.stream_version LIMIT ?1";
    arms.push_back(std::move(a));
  } else {
    // Types alone: one arm a type, each an ordered range of the (type, position) index.
    for (const auto& type : item.types) {
      arm a;
      a.parameters.emplace_back(type);
      a.sql =
          "SELECT e.position FROM events e WHERE e.type = ?4 AND e.position > ?2 AND "
          "e.position <= ?3 ORDER BY e.position LIMIT ?1";
      arms.push_back(std::move(a));
    }
  }
  return arms;
}

}  // namespace

std::vector<std::uint64_t> matching_positions(connection& db, const query& q, std::uint64_t after,
                                              std::uint64_t up_to, std::size_t limit) {
  std::vector<std::uint64_t> positions;
  if (limit == 0 || after >= up_to) return positions;
  if (q.matches_all()) {
    std::uint64_t count = std::min<std::uint64_t>(limit, up_to - after);
    for (std::uint64_t p = after + 1; p <= after + count; ++p) positions.push_back(p);
    return positions;
  }
  std::int64_t sql_limit =
      limit >= static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())
          ? -1
          : static_cast<std::int64_t>(limit);
  for (const auto& item : q.items()) {
    for (const auto& a : arms_of(db, item)) {
      statement s = db.prepare(a.sql);
      s.bind(1, sql_limit);
      s.bind(2, to_sql(after));
      s.bind(3, to_sql(up_to));
      for (std::size_t i = 0; i < a.parameters.size(); ++i) {
        int index = static_cast<int>(i) + 4;
        if (const auto* n = std::get_if<std::int64_t>(&a.parameters[i])) {
          s.bind(index, *n);
        } else {
          s.bind(index, std::string_view(std::get<std::string>(a.parameters[i])));
        }
      }
      while (s.step()) positions.push_back(static_cast<std::uint64_t>(s.column_int(0)));
    }
  }
  // Each arm is ascending and at most `limit` long: the union's first `limit` are among them.
  std::sort(positions.begin(), positions.end());
  positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
  if (positions.size() > limit) positions.resize(limit);
  return positions;
}

}  // namespace annal::sqlite
