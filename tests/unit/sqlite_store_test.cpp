// Tests particular to the SQLite backend: the schema's guards, versioning and other processes.
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "annal/error.hpp"
#include "annal/open_store.hpp"
#include "annal/query.hpp"
#include "annal/store_admin.hpp"
#include "annal/verify.hpp"
#include "core/chain_check.hpp"
#include "support/raw_sqlite.hpp"
#include "support/store_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace annal;
using annal::test::raw_exec;
using annal::test::raw_query;
using namespace std::chrono_literals;
using annal::test::make_events;
using annal::test::temp_dir;

namespace {

// What schema version 7 added, undone: turns a new database into one an older annal wrote.
const std::string undo_schema_7 =
    "DROP INDEX events_by_type; DROP TABLE event_tags; DROP TABLE tags; "
    "ALTER TABLE events DROP COLUMN tags;";

}  // namespace

TEST_CASE("UPDATE and DELETE on the events table are rejected by the database", "[sqlite]") {
  temp_dir dir;
  std::string path = dir.file("store.db");
  {
    auto store = open_store("sqlite:" + path);
    store->append("s", expected_version::any(), make_events(3));
  }
  std::string message;
  CHECK(raw_exec(path, "UPDATE events SET type = 'x' WHERE position = 1", &message) ==
        SQLITE_CONSTRAINT);
  CHECK_THAT(message, Catch::Contains("append-only"));
  CHECK(raw_exec(path, "DELETE FROM events WHERE position = 3", &message) == SQLITE_CONSTRAINT);
  CHECK_THAT(message, Catch::Contains("append-only"));
  auto store = open_store("sqlite:" + path);
  CHECK(store->head_position() == 3);
  CHECK(store->read_stream("s")[0].type == "test.happened");
}

TEST_CASE("a store written by a newer schema version is refused with a clear message", "[sqlite]") {
  temp_dir dir;
  std::string path = dir.file("store.db");
  open_store("sqlite:" + path)->append("s", expected_version::any(), make_events(1));
  REQUIRE(raw_exec(path, "UPDATE annal_meta SET value = 8 WHERE key = 'schema_version'") ==
          SQLITE_OK);
  try {
    open_store("sqlite:" + path);
    FAIL("opened");
  } catch (const unsupported_format_version& e) {
    CHECK(e.code() == errc::unsupported_format_version);
    CHECK(e.found() == 8);
    CHECK(e.supported() == 7);
    CHECK_THAT(e.what(), Catch::Contains("format version 8") && Catch::Contains("upgrade annal"));
  }
}

TEST_CASE("a version-2 database gains type versions in place, keeping its events", "[sqlite]") {
  temp_dir dir;
  std::string path = dir.file("store.db");
  std::string uri = "sqlite:" + path;
  open_store(uri)->append("s", expected_version::any(), make_events(3));
  // What annal wrote before type versions: no type_version column, schema_version 2.
  REQUIRE(raw_exec(path, undo_schema_7 +
                             "DROP TABLE subject_keys;"
                             "DROP TABLE batch_links;"
                             "ALTER TABLE events DROP COLUMN type_version;"
                             "UPDATE annal_meta SET value = 2 WHERE key = 'schema_version'") ==
          SQLITE_OK);
  // verify reads it as it is, without migrating it.
  CHECK(verify_store(uri).ok());
  CHECK(raw_query(path, "SELECT value FROM annal_meta WHERE key = 'schema_version'") == "2");
  {
    auto store = open_store(uri);
    CHECK(raw_query(path, "SELECT value FROM annal_meta WHERE key = 'schema_version'") == "7");
    auto events = store->read_stream("s");
    REQUIRE(events.size() == 3);
    for (const auto& e : events) CHECK(e.type_version == 1);
    auto batch = make_events(1);
    batch[0].type_version = 7;
    store->append("s", expected_version::exact(3), batch);
  }
  CHECK(open_store(uri)->read_stream("s", 4)[0].type_version == 7);
  CHECK(raw_query(path, "SELECT group_concat(type_version) FROM events") == "1,1,1,7");
  CHECK(verify_store(uri).ok());
}

TEST_CASE("a version-6 database gains tags and the type index, keeping its events and chain",
          "[sqlite][dcb]") {
  temp_dir dir;
  std::string path = dir.file("store.db");
  std::string uri = "sqlite:" + path;
  open_store(uri)->append("s", expected_version::any(), make_events(3));
  // What annal wrote before tags: no tags column or tables, no type index, schema_version 6.
  REQUIRE(raw_exec(path, undo_schema_7 +
                             "UPDATE annal_meta SET value = 6 WHERE key = 'schema_version'") ==
          SQLITE_OK);
  CHECK(verify_store(uri).ok());
  {
    auto store = open_store(uri);
    CHECK(raw_query(path, "SELECT value FROM annal_meta WHERE key = 'schema_version'") == "7");
    CHECK(raw_query(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'events_by_type'") ==
          "1");
    auto events = store->read_stream("s");
    REQUIRE(events.size() == 3);
    for (const auto& e : events) CHECK(e.tags.empty());
    auto tagged = make_events(1);
    tagged[0].tags = {"course:c1"};
    store->append("s", expected_version::exact(3), tagged,
                  {query::of({{.tags = {"course:c1"}}}), 0});
    auto page = store->read_events(query::of({{.types = {"test.happened"}}}));
    CHECK(page.events.size() == 4);
    CHECK(store->read_events(query::of({{.tags = {"course:c1"}}})).events.at(0).position == 4);
    CHECK(detail::check_chain(*store).ok());
  }
  CHECK(verify_store(uri).ok());
}

TEST_CASE("verify finds tags that disagree with their index", "[sqlite][dcb]") {
  temp_dir dir;
  std::string path = dir.file("store.db");
  std::string uri = "sqlite:" + path;
  {
    auto store = open_store(uri);
    auto events = make_events(2);
    events[0].tags = {"a", "b"};
    events[1].tags = {"b"};
    store->append("s", expected_version::any(), events);
  }
  REQUIRE(verify_store(uri).ok());
  SECTION("an index row removed") {
    REQUIRE(raw_exec(path,
                     "DELETE FROM event_tags WHERE position = 1 AND tag_key = (SELECT "
                     "tag_key FROM tags WHERE tag = 'a')") == SQLITE_OK);
  }
  SECTION("an index row added") {
    REQUIRE(raw_exec(path,
                     "INSERT INTO event_tags (tag_key, position) SELECT tag_key, 2 FROM "
                     "tags WHERE tag = 'a'") == SQLITE_OK);
  }
  SECTION("a column changed behind the index's back") {
    REQUIRE(raw_exec(path,
                     "DROP TRIGGER events_are_append_only_update;"
                     "UPDATE events SET tags = CAST('b' || char(0) || 'a' AS BLOB) "
                     "WHERE position = 1") == SQLITE_OK);
  }
  auto report = verify_store(uri);
  CHECK_FALSE(report.ok());
  REQUIRE_FALSE(report.problems.empty());
  CHECK_THAT(report.problems[0].message, Catch::Contains("tags"));
}

TEST_CASE("a version-5 database gets its hash chain computed once, when opened",
          "[sqlite][chain]") {
  temp_dir dir;
  std::string path = dir.file("store.db");
  std::string uri = "sqlite:" + path;
  {
    auto store = open_store(uri);
    store->append("a", expected_version::any(), make_events(3));
    store->append("b", expected_version::any(), make_events(1));
    store->append("a", expected_version::any(), make_events(2));
    store->delete_stream("b", expected_version::any());
    scavenge(*store);
  }
  // What annal wrote before the chain: no batch_links table, schema_version 5, and an erased
  // event from before erasure kept its content digest.
  const std::string linked = raw_query(path, "SELECT group_concat(last_position) FROM batch_links");
  REQUIRE(raw_query(path, "SELECT count(*) FROM events WHERE type = '$erased'") == "1");
  REQUIRE(
      raw_exec(path, undo_schema_7 +
                         "DROP TRIGGER events_are_append_only_update;"
                         "UPDATE events SET payload = '{\"type\":\"test.happened\",\"version\":1}' "
                         "WHERE type = '$erased';"
                         "DROP TABLE batch_links;"
                         "UPDATE annal_meta SET value = 5 WHERE key = 'schema_version'") ==
      SQLITE_OK);
  CHECK(verify_store(uri).ok());
  {
    auto store = open_store(uri);
    CHECK(raw_query(path, "SELECT value FROM annal_meta WHERE key = 'schema_version'") == "7");
    // One link for each append, as they were: the runs of one stream with one timestamp.
    CHECK(raw_query(path, "SELECT group_concat(last_position) FROM batch_links") == linked);
    CHECK(linked.rfind("3,4,6,", 0) == 0);
    auto report = detail::check_chain(*store);
    CHECK(report.ok());
    auto batches = report.batches_checked;
    store->append("c", expected_version::any(), make_events(2));
    report = detail::check_chain(*store);
    CHECK(report.ok());
    CHECK(report.batches_checked == batches + 1);
  }
  // The migrated links are as append-only as the events.
  std::string message;
  CHECK(raw_exec(path, "UPDATE batch_links SET link = x'00' WHERE last_position = 3", &message) !=
        SQLITE_OK);
  CHECK_THAT(message, Catch::Contains("append-only"));
  CHECK(raw_exec(path, "DELETE FROM batch_links WHERE last_position = 3", &message) != SQLITE_OK);
  CHECK_THAT(message, Catch::Contains("append-only"));
  CHECK(verify_store(uri).ok());
}

TEST_CASE("the append-only trigger lets through only the erasure of a user's event",
          "[sqlite][scavenge]") {
  temp_dir dir;
  std::string path = dir.file("store.db");
  {
    auto store = open_store("sqlite:" + path);
    store->append("s", expected_version::any(), make_events(2));
    store->delete_stream("s", expected_version::any());
  }
  std::string message;
  auto refused = [&](const std::string& sql) {
    CAPTURE(sql);
    CHECK(raw_exec(path, sql, &message) != SQLITE_OK);
    CHECK_THAT(message, Catch::Contains("append-only"));
  };
  refused("UPDATE events SET payload = '{}' WHERE position = 1");
  refused("UPDATE events SET type = 'other' WHERE position = 1");
  // An erasure must keep the event's place, id and time, and never touch annal's own events.
  refused("UPDATE events SET type = '$erased', stream_version = 9 WHERE position = 1");
  refused("UPDATE events SET type = '$erased', timestamp_us = 0 WHERE position = 1");
  refused("UPDATE events SET type = '$erased', event_id = x'00' WHERE position = 1");
  refused("UPDATE events SET type = '$erased' WHERE position = 3");
  refused("DELETE FROM events WHERE position = 1");
  CHECK(raw_exec(path, "UPDATE events SET type = '$erased', payload = '{}' WHERE position = 1") ==
        SQLITE_OK);
  CHECK(raw_query(path, "SELECT type FROM events WHERE position = 1") == "$erased");
}

TEST_CASE("a type version outside 1 to 65535 written by another program is corruption",
          "[sqlite][bad_input]") {
  temp_dir dir;
  std::string path = dir.file("store.db");
  std::string uri = "sqlite:" + path;
  open_store(uri)->append("s", expected_version::any(), make_events(2));
  // Past the append-only triggers, as a SQLite shell user could.
  REQUIRE(raw_exec(path,
                   "DROP TRIGGER events_are_append_only_update;"
                   "UPDATE events SET type_version = 0 WHERE position = 2;") == SQLITE_OK);
  auto report = verify_store(uri);
  REQUIRE_FALSE(report.ok());
  CHECK_THAT(report.problems.front().message, Catch::Contains("type version 0"));
  CHECK_THROWS_AS(open_store(uri)->read_stream("s"), corruption);
  CHECK(open_store(uri)->read_stream("s", 1, read_direction::forward, 1).size() == 1);
}

TEST_CASE("a store created before stores had an identity gets one at its next open", "[sqlite]") {
  temp_dir dir;
  std::string path = dir.file("store.db");
  open_store("sqlite:" + path)->append("s", expected_version::any(), make_events(2));
  REQUIRE(raw_exec(path, "DELETE FROM annal_meta WHERE key = 'store_id'") == SQLITE_OK);
  uuid id = open_store("sqlite:" + path)->store_id();
  CHECK_FALSE(id.is_nil());
  auto store = open_store("sqlite:" + path);
  CHECK(store->store_id() == id);
  CHECK(store->head_position() == 2);
  // A row that is not a 16-byte id is damage, said as such.
  store->close();
  REQUIRE(raw_exec(path, "UPDATE annal_meta SET value = 'x' WHERE key = 'store_id'") == SQLITE_OK);
  CHECK_THROWS_AS(open_store("sqlite:" + path)->store_id(), corruption);
}

TEST_CASE("a file that is not an annal store is refused as corruption", "[sqlite]") {
  temp_dir dir;
  SECTION("garbage bytes") {
    std::string path = dir.file("garbage.db");
    std::ofstream(path) << std::string(8192, 'g');
    CHECK_THROWS_AS(open_store("sqlite:" + path), corruption);
  }
  SECTION("another application's database") {
    std::string path = dir.file("other.db");
    REQUIRE(raw_exec(path, "CREATE TABLE customers (id INTEGER)") == SQLITE_OK);
    CHECK_THROWS_WITH(open_store("sqlite:" + path), Catch::Contains("not an annal store"));
  }
}

TEST_CASE("a path in a missing directory gives io_error naming the path", "[sqlite]") {
  temp_dir dir;
  std::string path = dir.file("missing/store.db");
  try {
    open_store("sqlite:" + path);
    FAIL("opened");
  } catch (const io_error& e) {
    CHECK(e.path() == path);
  }
}

TEST_CASE("JSON payloads are stored as text that SQLite's JSON functions can query", "[sqlite]") {
  temp_dir dir;
  std::string path = dir.file("store.db");
  event_data e;
  e.type = "order.created";
  e.payload = R"({"customer":"ada","total":12})";
  open_store("sqlite:" + path)->append("order-1", expected_version::any(), e);
  CHECK(raw_query(path, "SELECT json_extract(payload, '$.customer') FROM events") == "ada");
  CHECK(raw_query(path, "SELECT typeof(payload) FROM events") == "text");
}

TEST_CASE("a second store object on the same file sees appends through wait_for", "[sqlite]") {
  temp_dir dir;
  std::string uri = "sqlite:" + dir.file("store.db");
  auto writer = open_store(uri);
  store_options fast_poll;
  fast_poll.poll_interval = 5ms;
  auto reader = open_store(uri, fast_poll);
  CHECK_FALSE(reader->wait_for(1, 20ms));
  writer->append("s", expected_version::any(), make_events(2));
  CHECK(reader->wait_for(2, 5s));
  CHECK(reader->read_stream("s").size() == 2);
  reader->append("s", expected_version::exact(2), make_events(1));
  CHECK(writer->stream_version("s") == 3);
}

TEST_CASE("another process's appends are seen by wait_for and keep positions gapless",
          "[sqlite][process]") {
  temp_dir dir;
  std::string uri = "sqlite:" + dir.file("store.db");
  store_options fast_poll;
  fast_poll.poll_interval = 5ms;
  auto store = open_store(uri, fast_poll);
  store->append("parent", expected_version::any(), make_events(1));
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int code = 0;
    try {
      auto own = open_store(uri);
      for (int i = 0; i < 20; ++i) own->append("child", expected_version::any(), make_events(2));
    } catch (...) {
      code = 1;
    }
    _exit(code);
  }
  for (int i = 0; i < 20; ++i) store->append("parent", expected_version::any(), make_events(1));
  CHECK(store->wait_for(61, 10s));
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  auto all = store->read_all(1, unlimited).events;
  REQUIRE(all.size() == 61);
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(all[i].position == i + 1);
  CHECK(store->stream_version("child") == 40);
}

TEST_CASE("a directory given as the database file is refused with io_error",
          "[sqlite][bad_input]") {
  temp_dir dir;
  CHECK_THROWS_AS(open_store("sqlite:" + dir.path().string()), io_error);
  CHECK(std::filesystem::is_empty(dir.path()));
}
