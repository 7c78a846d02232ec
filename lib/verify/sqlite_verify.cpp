// Verifies a SQLite store: SQLite's own integrity check, then the log's rules row by row.
#include "verify/sqlite_verify.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <optional>
#include <unordered_map>
#include <vector>

#include "annal/error.hpp"
#include "core/event_rules.hpp"
#include "core/metadata_json.hpp"
#include "core/type_version.hpp"
#include "sqlite/connection.hpp"
#include "sqlite/event_row.hpp"
#include "sqlite/sqlite_schema.hpp"
#include "verify/problem_list.hpp"

namespace annal::verify {
namespace {

using sqlite::connection;
using sqlite::statement;

// The schema version; 0, with a problem added, when the database is not an annal store this
// build reads.
std::int64_t usable_schema_version(connection& db, const std::string& path, verify_report& report) {
  if (db.query_int("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                   "name IN ('annal_meta', 'events', 'streams')") != 3) {
    add_problem(report, path, -1, 0, {}, "not an annal store: the annal tables are missing");
    return 0;
  }
  std::int64_t version = db.query_int("SELECT value FROM annal_meta WHERE key = 'schema_version'");
  if (version < 1 || version > sqlite::schema_version) {
    add_problem(report, path, -1, 0, {},
                fmt::format("schema version {} is not one this build reads (1 to {})", version,
                            sqlite::schema_version));
    return 0;
  }
  return version;
}

void check_integrity(connection& db, const std::string& path, verify_report& report) {
  statement s = db.prepare("PRAGMA integrity_check");
  while (s.step()) {
    std::string line = s.column_text(0);
    if (line != "ok") add_problem(report, path, -1, 0, {}, "SQLite integrity check: " + line);
  }
}

}  // namespace

void verify_sqlite_store(const std::string& path, verify_report& report) {
  report.backend = "sqlite";
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw io_error(ENOENT, path, "no SQLite store here: the file does not exist");
  }
  connection db(path, SQLITE_OPEN_READONLY);
  ++report.files_checked;
  const std::int64_t schema = usable_schema_version(db, path, report);
  if (schema == 0) return;
  check_integrity(db, path, report);

  // One read transaction: the checks see one state of the log even while a writer appends.
  sqlite::transaction tx(db, sqlite::transaction::mode::deferred);
  std::unordered_map<std::int64_t, std::uint64_t> versions;  // stream key -> last version seen
  std::unordered_map<std::int64_t, std::string> names;
  {
    statement s = db.prepare("SELECT stream_key, stream_id FROM streams");
    while (s.step()) names.emplace(s.column_int(0), s.column_text(1));
  }
  auto name_of = [&](std::int64_t key) {
    auto it = names.find(key);
    return it == names.end() ? std::string() : it->second;
  };
  // verify never migrates: a store older than schema version 3 has no type versions (all 1).
  statement events = db.prepare(
      fmt::format("SELECT position, stream_key, stream_version, type, event_id, encoding, "
                  "metadata, {}, {} FROM events ORDER BY position",
                  schema >= 3 ? "type_version" : "1", schema >= 7 ? "tags" : "NULL"));
  // Since schema version 7, the tag index beside the events, in the same order: each event's
  // tags column must be a valid set and name exactly its index rows.
  std::optional<statement> index_rows;
  if (schema >= 7) {
    index_rows.emplace(db.prepare(
        "SELECT et.position, t.tag FROM event_tags et LEFT JOIN tags t ON t.tag_key = et.tag_key "
        "ORDER BY et.position, t.tag"));
  }
  bool index_row = index_rows && index_rows->step();
  std::uint64_t expected_position = 1;
  while (events.step()) {
    auto position = static_cast<std::uint64_t>(events.column_int(0));
    std::int64_t key = events.column_int(1);
    auto version = static_cast<std::uint64_t>(events.column_int(2));
    auto problem = [&](std::string message) {
      add_problem(report, path, -1, position, name_of(key), std::move(message));
    };
    if (position != expected_position) {
      problem(fmt::format("positions {} to {} are missing", expected_position, position - 1));
    }
    expected_position = position + 1;
    if (!names.contains(key))
      problem(fmt::format("stream key {} is not in the streams table", key));
    std::uint64_t& last = versions[key];
    if (version != last + 1) {
      problem(fmt::format("stream version jumps from {} to {}", last, version));
    }
    last = version;
    if (events.column_text(3).empty()) problem("the event type is empty");
    std::string id = events.column_text(4);
    if (id.size() != 16) {
      problem(fmt::format("the event id has {} bytes instead of 16", id.size()));
    } else if (id == std::string(16, '\0')) {
      problem("the event id is nil");
    }
    std::int64_t encoding = events.column_int(5);
    if (encoding != static_cast<std::int64_t>(payload_encoding::json) &&
        encoding != static_cast<std::int64_t>(payload_encoding::binary)) {
      problem(fmt::format("unknown payload encoding {}", encoding));
    }
    try {
      detail::stored_type_version(events.column_int(7), position, path);
    } catch (const corruption& c) {
      problem(c.what());
    }
    try {
      detail::decode_metadata(events.column_text(6), path);
    } catch (const corruption& c) {
      problem(c.what());
    }
    if (index_rows) {
      std::vector<std::string> tags;
      if (!events.column_is_null(8)) tags = sqlite::split_stored_tags(events.column_text(8));
      if (auto wrong = detail::stored_tags_problem(tags); !wrong.empty()) problem(wrong);
      std::vector<std::string> indexed;
      for (; index_row && static_cast<std::uint64_t>(index_rows->column_int(0)) <= position;
           index_row = index_rows->step()) {
        auto at = static_cast<std::uint64_t>(index_rows->column_int(0));
        if (at < position) {
          add_problem(report, path, -1, at, "",
                      "the tag index names a position that holds no event");
        } else {
          indexed.push_back(index_rows->column_text(1));
        }
      }
      std::sort(tags.begin(), tags.end());
      if (indexed != tags) problem("the event's tags disagree with the tag index");
    }
    ++report.events_checked;
  }
  for (; index_row; index_row = index_rows->step()) {
    add_problem(report, path, -1, static_cast<std::uint64_t>(index_rows->column_int(0)), "",
                "the tag index names a position after the last event");
  }
  statement streams = db.prepare("SELECT stream_key, stream_id, version FROM streams");
  while (streams.step()) {
    std::int64_t key = streams.column_int(0);
    auto recorded = static_cast<std::uint64_t>(streams.column_int(2));
    auto found = versions.find(key);
    std::uint64_t actual = found == versions.end() ? 0 : found->second;
    if (recorded != actual) {
      add_problem(report, path, -1, 0, streams.column_text(1),
                  fmt::format("the streams table says version {}, the events end at version {}",
                              recorded, actual));
    }
    ++report.streams_checked;
  }
}

}  // namespace annal::verify
