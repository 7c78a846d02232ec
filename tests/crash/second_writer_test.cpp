// A second writer process: refused by the segment directory's lock file, kept waiting by SQLite's
// lock for the busy timeout; in both cases with a clear error and the store intact.
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <functional>

#include "annal/error.hpp"
#include "annal/open_store.hpp"
#include "support/store_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace annal;
using annal::test::make_events;

namespace {

// A child process running `body`, and two pipes to take turns with it: each side sends a byte
// to hand over and waits for one to take its turn back.
class other_process {
 public:
  /// Forks; the child runs `body(turns)` and exits 0 when it returns, 2 when it throws.
  explicit other_process(const std::function<void(other_process&)>& body) {
    REQUIRE(pipe(to_parent_) == 0);
    REQUIRE(pipe(to_child_) == 0);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      child_ = true;
      close(to_parent_[0]);
      close(to_child_[1]);
      int code = 0;
      try {
        body(*this);
      } catch (...) {
        code = 2;
      }
      _exit(code);
    }
    close(to_parent_[1]);
    close(to_child_[0]);
  }

  /// Hands the turn to the other side.
  void hand_over() {
    char byte = 1;
    if (write(child_ ? to_parent_[1] : to_child_[1], &byte, 1) != 1) _exit(3);
  }
  /// Waits for the other side to hand the turn back; false when it has exited.
  bool wait_turn() {
    char byte;
    return read(child_ ? to_child_[0] : to_parent_[0], &byte, 1) == 1;
  }
  /// In the parent: hands the last turn over and returns the child's exit code.
  int finish() {
    hand_over();
    int status = 0;
    waitpid(pid_, &status, 0);
    close(to_parent_[0]);
    close(to_child_[1]);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  int to_parent_[2];
  int to_child_[2];
  pid_t pid_ = -1;
  bool child_ = false;
};

// Holds SQLite's write lock on `path` from one turn to the next, as another writer would.
void hold_sqlite_write_lock(other_process& p, const std::string& path) {
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
  other_process writer([&](other_process& p) {
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
  other_process writer([&](other_process& p) { hold_sqlite_write_lock(p, path); });
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
  other_process writer([&](other_process& p) { hold_sqlite_write_lock(p, path); });
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
