// A second writer process: refused by the segment directory's lock file, kept waiting by SQLite's
// lock for the busy timeout; in both cases with a clear error and the store intact.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <functional>

#include "annal/error.hpp"
#include "annal/open_store.hpp"
#include "support/process.hpp"
#include "support/store_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace annal;
using annal::test::make_events;

namespace {

using annal::test::process;

// Holds SQLite's write lock on `path` from one turn to the next, as another writer would.
void hold_sqlite_write_lock(process& p, const std::string& path) {
  p.wait_turn();
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) throw std::runtime_error("open");
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    throw std::runtime_error("lock");
  }
  p.hand_over();
  p.wait_turn();
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(db);
}

}  // namespace

TEST_CASE("a second process opening a segment directory is refused by the lock file",
          "[bad_input][lock]") {
  test::temp_dir dir;
  std::string uri = "segment:" + dir.file("store");
  process writer([&](process& p) {
    auto store = open_store(uri);
    store->append("s", expected_version::no_stream(), make_events(2));
    p.hand_over();
    p.wait_turn();
    store->append("s", expected_version::exact(2), make_events(1));
  });
  REQUIRE(writer.wait_turn());  // the child has the store open
  try {
    open_store(uri);
    FAIL("a second writer opened the directory");
  } catch (const io_error& e) {
    CHECK(e.code() == errc::io_error);
    CHECK(e.system_code() == EWOULDBLOCK);
    CHECK_THAT(e.what(), Catch::Contains("LOCK") && Catch::Contains("locked"));
  }
  REQUIRE(writer.finish() == 0);
  // The refused attempt changed nothing: the first writer's appends are all there.
  auto store = open_store(uri);
  auto events = store->read_stream("s");
  REQUIRE(events.size() == 3);
  CHECK(events[2].position == 3);
}

TEST_CASE("a SQLite file locked by another writer: an append waits the busy timeout, then fails",
          "[bad_input][lock]") {
  test::temp_dir dir;
  std::string path = dir.file("store.db");
  // Forked before this process opens the database: SQLite connections must not cross a fork.
  process writer([&](process& p) { hold_sqlite_write_lock(p, path); });
  auto store = open_store("sqlite:" + path + "?sqlite_busy_timeout_ms=200");
  store->append("s", expected_version::no_stream(), make_events(2));
  writer.hand_over();
  REQUIRE(writer.wait_turn());  // the other writer holds the lock
  try {
    store->append("s", expected_version::exact(2), make_events(1));
    FAIL("appended while another process held the write lock");
  } catch (const io_error& e) {
    CHECK(e.system_code() == EBUSY);
    CHECK_THAT(e.what(), Catch::Contains("locked") && Catch::Contains("busy timeout"));
  }
  // Readers are not blocked by a writer in WAL mode.
  CHECK(store->read_stream("s").size() == 2);
  REQUIRE(writer.finish() == 0);
  // The failed append wrote nothing and the store is usable again.
  CHECK(store->head_position() == 2);
  CHECK(store->append("s", expected_version::exact(2), make_events(1)).last_position == 3);
}

TEST_CASE("opening a SQLite store while another writer holds the lock fails after the timeout",
          "[bad_input][lock]") {
  test::temp_dir dir;
  std::string path = dir.file("store.db");
  process writer([&](process& p) { hold_sqlite_write_lock(p, path); });
  {
    auto store = open_store("sqlite:" + path);
    store->append("s", expected_version::no_stream(), make_events(1));
  }
  writer.hand_over();
  REQUIRE(writer.wait_turn());
  // Opening checks the schema in a write transaction, so it waits for the lock too.
  try {
    open_store("sqlite:" + path + "?sqlite_busy_timeout_ms=100");
    FAIL("opened while another process held the write lock");
  } catch (const io_error& e) {
    CHECK(e.system_code() == EBUSY);
    CHECK_THAT(e.what(), Catch::Contains("busy timeout"));
  }
  REQUIRE(writer.finish() == 0);
  CHECK(open_store("sqlite:" + path)->read_stream("s").size() == 1);
}
