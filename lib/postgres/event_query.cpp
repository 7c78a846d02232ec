// Each query item as indexed SELECTs of positions (arms) in one statement, merged by UNION.
#include "postgres/event_query.hpp"

#include <fmt/format.h>

#include "core/query_plan.hpp"
#include "postgres/connection.hpp"

namespace annal::pg {
namespace {

// Builds the arms of one statement, numbering parameters from $3.
class arms_builder {
 public:
  arms_builder(const std::string& events, const std::string& event_tags, std::string_view up_to)
      : events_(events), event_tags_(event_tags), up_to_(up_to) {}

  void add(const detail::item_plan& item) {
    if (!item.tags.empty()) {
      add_tag_arm(item);
    } else if (item.stream) {
      add_stream_arm(*item.stream, item.types);
    } else {
      for (const auto& type : item.types) {
        add_arm(
            fmt::format("SELECT position FROM {} WHERE type = {} AND position > $2 AND "
                        "position <= {} ORDER BY position LIMIT $1",
                        events_, text(type), up_to_));
      }
    }
  }

  std::optional<position_select> finish() && {
    if (arms_.empty()) return std::nullopt;
    select_.sql =
        fmt::format("SELECT position FROM ({}) AS arms ORDER BY position LIMIT $1", arms_);
    return std::move(select_);
  }

 private:
  // The parameter holding `value`, as a text.
  std::string text(std::string_view value) {
    select_.texts.emplace_back(value);
    return fmt::format("${}", select_.texts.size() + 2);
  }
  // " AND {column} = ANY($n::text[])" for `types`, or nothing when any type matches.
  std::string type_filter(std::span<const std::string> types, std::string_view column) {
    if (types.empty()) return {};
    select_.texts.push_back(binary_array(text_oid, types));
    return fmt::format(" AND {} = ANY(${}::text[])", column, select_.texts.size() + 2);
  }

  // The item's first tag drives; its other tags, stream and types are checked per row.
  void add_tag_arm(const detail::item_plan& item) {
    std::string sql = fmt::format(
        "SELECT t.position FROM {} t WHERE t.tag = {} AND t.position > $2 AND t.position <= {}",
        event_tags_, text(item.tags.front()), up_to_);
    for (std::size_t i = 1; i < item.tags.size(); ++i) {
      sql += fmt::format(
          " AND EXISTS (SELECT 1 FROM {} x WHERE x.tag = {} AND x.position = "
          "t.position)",
          event_tags_, text(item.tags[i]));
    }
    if (item.stream || !item.types.empty()) {
      sql += fmt::format(" AND EXISTS (SELECT 1 FROM {} e WHERE e.position = t.position", events_);
      if (item.stream) sql += fmt::format(" AND e.stream_id = {}", text(*item.stream));
      sql += type_filter(item.types, "e.type") + ")";
    }
    add_arm(sql + " ORDER BY t.position LIMIT $1");
  }

  // Versions and positions of a stream grow together: the (stream_id, stream_version) index in
  // order, from the version after the last one at or before $2 (found scanning back from the
  // stream's end), so both scans cost the stream's events after $2.
  void add_stream_arm(std::string_view stream, std::span<const std::string> types) {
    std::string id = text(stream);
    add_arm(fmt::format(
        "SELECT e.position FROM {0} e WHERE e.stream_id = {1} AND e.stream_version > "
        "coalesce((SELECT b.stream_version FROM {0} b WHERE b.stream_id = {1} AND b.position <= "
        "$2 ORDER BY b.stream_version DESC LIMIT 1), 0) AND e.position > $2 AND e.position <= "
        "{2}{3} ORDER BY e.stream_version LIMIT $1",
        events_, id, up_to_, type_filter(types, "e.type")));
  }

  void add_arm(const std::string& sql) {
    if (!arms_.empty()) arms_ += " UNION ";
    arms_ += "(" + sql + ")";
  }

  const std::string& events_;
  const std::string& event_tags_;
  std::string_view up_to_;
  std::string arms_;
  position_select select_;
};

}  // namespace

std::optional<position_select> matching_positions(const query& q, const std::string& events_table,
                                                  const std::string& event_tags_table,
                                                  std::string_view up_to) {
  arms_builder arms(events_table, event_tags_table, up_to);
  for (const auto& item : q.items()) {
    if (auto plan = detail::plan_item(item)) arms.add(*plan);
  }
  return std::move(arms).finish();
}

}  // namespace annal::pg
