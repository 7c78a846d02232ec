// The PostgreSQL store's verifier: one ordered pass over the events, then the streams and head.
#include "verify/postgres_verify.hpp"

#include <fmt/format.h>

#include <map>

#include "annal/error.hpp"
#include "core/event_rules.hpp"
#include "postgres/connection.hpp"
#include "postgres/event_rows.hpp"
#include "postgres/schema.hpp"
#include "verify/problem_list.hpp"

namespace annal::verify {
namespace {

constexpr std::int64_t page_size = 10000;

}  // namespace

void verify_postgres_store(const std::string& conninfo, const std::string& schema,
                           verify_report& report) {
  report.backend = "postgres";
  pg::validate_schema_name(schema);
  pg::connection c(conninfo);
  std::string where = c.name() + " schema " + schema;
  auto problem = [&](std::uint64_t position, std::string stream, std::string message) {
    add_problem(report, where, -1, position, std::move(stream), std::move(message));
  };
  pg::result found =
      c.query("SELECT to_regclass($1)::text IS NOT NULL", {pg::table(schema, "schema_version")});
  if (found.bytes(0, 0) != std::string_view("\1", 1)) {
    throw corruption(where, -1, "no annal store here (no schema_version table)");
  }
  // One snapshot of the whole store, so concurrent appends cannot look like damage.
  c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  std::int64_t version =
      c.query(
           fmt::format("SELECT version::int8 FROM {}", pg::table(schema, "schema_version")).c_str())
          .int8(0, 0);
  if (version < 1 || version > pg::schema_version) {
    problem(0, "",
            fmt::format("schema version {} is not one this build reads (1 to {})", version,
                        pg::schema_version));
    c.exec("ROLLBACK");
    return;
  }
  std::int64_t triggers =
      c.query(
           "SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass($1) AND tgname IN "
           "('events_append_only', 'events_no_truncate') AND tgenabled <> 'D'",
           {pg::table(schema, "events")})
          .int8(0, 0);
  if (triggers != 2)
    problem(0, "", "the append-only triggers of the events table are missing or disabled");

  std::map<std::string, std::uint64_t, std::less<>> versions;
  std::uint64_t next = 1;
  std::string page_sql =
      fmt::format("SELECT {} FROM {} WHERE position >= $1 ORDER BY position LIMIT $2",
                  pg::event_columns_at(version), pg::table(schema, "events"));
  for (;;) {
    pg::result r = c.query(page_sql.c_str(), {pg::param::int8(static_cast<std::int64_t>(next)),
                                              pg::param::int8(page_size)});
    for (int i = 0; i < r.rows(); ++i) {
      recorded_event e;
      try {
        e = pg::read_event(r, i, where);
      } catch (const error& damaged) {
        problem(static_cast<std::uint64_t>(r.int8(i, 0)), std::string(r.bytes(i, 1)),
                damaged.what());
        continue;
      }
      if (e.position != next) {
        problem(e.position, e.stream_id,
                fmt::format("positions jump from {} to {}", next - 1, e.position));
      }
      next = e.position + 1;
      std::uint64_t& last = versions[e.stream_id];
      if (e.stream_version != last + 1) {
        problem(e.position, e.stream_id,
                fmt::format("stream version {} follows version {}", e.stream_version, last));
      }
      last = e.stream_version;
      if (auto wrong = detail::stored_tags_problem(e.tags); !wrong.empty()) {
        problem(e.position, e.stream_id, wrong);
      }
      ++report.events_checked;
    }
    if (r.rows() < page_size) break;
  }

  if (version >= 8) {
    // The tag index names exactly each event's tags: rows one side holds and the other lacks.
    std::string events = pg::table(schema, "events");
    std::string event_tags = pg::table(schema, "event_tags");
    pg::result missing = c.query(
        fmt::format("SELECT position FROM (SELECT position, unnest(tags) AS tag FROM {} EXCEPT "
                    "SELECT position, tag FROM {}) d GROUP BY position ORDER BY position LIMIT 100",
                    events, event_tags)
            .c_str());
    for (int i = 0; i < missing.rows(); ++i) {
      problem(static_cast<std::uint64_t>(missing.int8(i, 0)), "",
              "the event carries a tag the tag index does not name at its position");
    }
    pg::result extra = c.query(
        fmt::format("SELECT position FROM (SELECT position, tag FROM {} EXCEPT SELECT position, "
                    "unnest(tags) FROM {}) d GROUP BY position ORDER BY position LIMIT 100",
                    event_tags, events)
            .c_str());
    for (int i = 0; i < extra.rows(); ++i) {
      problem(static_cast<std::uint64_t>(extra.int8(i, 0)), "",
              "the tag index names a tag the event at this position does not carry");
    }
  }

  pg::result streams = c.query(
      fmt::format("SELECT stream_id, version FROM {}", pg::table(schema, "streams")).c_str());
  std::size_t listed = 0;
  for (int i = 0; i < streams.rows(); ++i) {
    std::string id(streams.bytes(i, 0));
    auto v = static_cast<std::uint64_t>(streams.int8(i, 1));
    auto it = versions.find(id);
    std::uint64_t actual = it == versions.end() ? 0 : it->second;
    if (it != versions.end()) ++listed;
    if (v != actual) {
      problem(0, id,
              fmt::format("the streams table says version {}, the events say {}", v, actual));
    }
    ++report.streams_checked;
  }
  if (listed != versions.size()) {
    problem(0, "",
            fmt::format("{} streams with events are missing from the streams table",
                        versions.size() - listed));
  }
  auto head = static_cast<std::uint64_t>(
      c.query(fmt::format("SELECT position FROM {}", pg::table(schema, "head")).c_str())
          .int8(0, 0));
  if (head != next - 1) {
    problem(head, "",
            fmt::format("the head says position {}, the last event is at {}", head, next - 1));
  }
  c.exec("COMMIT");
}

}  // namespace annal::verify
