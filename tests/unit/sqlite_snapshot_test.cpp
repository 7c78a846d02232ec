// The SQLite backend's snapshots table: its migration from schema version 1 and its columns.
#include <sqlite3.h>

#include <catch2/catch.hpp>

#include "annal/error.hpp"
#include "annal/open_store.hpp"
#include "support/raw_sqlite.hpp"
#include "support/store_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace annal;
using annal::test::make_events;
using annal::test::raw_exec;
using annal::test::raw_query;
using annal::test::temp_dir;

namespace {

snapshot make_snapshot(std::uint64_t version) {
  snapshot s;
  s.stream_id = "order-1";
  s.version = version;
  s.position = version;
  s.aggregate_type = "order";
  s.fingerprint = 0xfedcba9876543210u;
  s.payload = "{}";
  s.taken_at = std::chrono::system_clock::time_point(std::chrono::microseconds(1'000'000));
  return s;
}

}  // namespace

TEST_CASE("a version-1 database is migrated on open and then keeps snapshots", "[sqlite]") {
  temp_dir dir;
  std::string path = dir.file("store.db");
  open_store("sqlite:" + path)->append("order-1", expected_version::any(), make_events(3));
  // What annal 1 left: no snapshots table, no type versions, schema_version 1.
  REQUIRE(raw_exec(path,
                   "DROP INDEX events_by_type;"
                   "DROP TABLE event_tags;"
                   "DROP TABLE tags;"
                   "ALTER TABLE events DROP COLUMN tags;"
                   "DROP TABLE snapshots;"
                   "DROP TABLE subject_keys;"
                   "DROP TABLE batch_links;"
                   "ALTER TABLE events DROP COLUMN type_version;"
                   "UPDATE annal_meta SET value = 1 WHERE key = 'schema_version'") == SQLITE_OK);
  REQUIRE(raw_query(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'snapshots'") == "0");

  {
    auto store = open_store("sqlite:" + path);
    CHECK(raw_query(path, "SELECT value FROM annal_meta WHERE key = 'schema_version'") == "7");
    CHECK(store->read_stream("order-1").size() == 3);
    store->snapshots().save(make_snapshot(3), 1);
    CHECK(*store->snapshots().load("order-1", make_snapshot(3).fingerprint).found ==
          make_snapshot(3));
    store->append("order-1", expected_version::exact(3), make_events(1));
  }
  auto store = open_store("sqlite:" + path);
  CHECK(store->snapshots().count() == 1);
  CHECK(store->head_position() == 4);
}

TEST_CASE("a snapshot row stores the fingerprint's 64 bits as a signed integer", "[sqlite]") {
  temp_dir dir;
  std::string path = dir.file("store.db");
  {
    auto store = open_store("sqlite:" + path);
    store->snapshots().save(make_snapshot(3), 1);
  }
  CHECK(raw_query(path, "SELECT fingerprint FROM snapshots") ==
        std::to_string(static_cast<std::int64_t>(0xfedcba9876543210u)));
  CHECK(raw_query(path,
                  "SELECT stream_id || ' ' || version || ' ' || position || ' ' || aggregate_type "
                  "|| ' ' || encoding || ' ' || taken_us || ' ' || typeof(payload) FROM "
                  "snapshots") == "order-1 3 3 order 1 1000000 blob");
}
