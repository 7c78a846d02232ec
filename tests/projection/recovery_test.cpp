// Failures of the read-model database rather than of an event (a full disk, a lock held past the
// busy timeout, a lost lead): the runner backs off and recovers by itself, applying each event
// once.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "projection/projection_fixture.hpp"
#include "support/raw_sqlite.hpp"
#include "support/sqlite_disk_limit.hpp"

using namespace annal;
using namespace std::chrono_literals;
using annal::test::projection_fixture;
using annal::test::read_totals;
using annal::test::triangle;

namespace {

// Another connection to a SQLite file that holds its write lock while it lives.
class write_lock {
 public:
  explicit write_lock(const std::string& path) {
    REQUIRE(sqlite3_open(path.c_str(), &db_) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  }
  ~write_lock() {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
  }
  write_lock(const write_lock&) = delete;
  write_lock& operator=(const write_lock&) = delete;

 private:
  sqlite3* db_ = nullptr;
};

// What the read model holds matches its checkpoint: every committed batch is whole.
void check_consistent(const std::string& model) {
  auto t = read_totals(model);
  CHECK(t.entries == t.checkpoint);
  CHECK(t.position_sum == triangle(t.checkpoint));
  CHECK(t.balance_sum == triangle(t.checkpoint));
}

}  // namespace

TEST_CASE("a read model whose disk is full recovers once there is room, without a restart",
          "[recovery][sqlite_model]") {
  projection_fixture f;
  f.deposit(50);
  {
    projection_runner runner(f.store(), f.model);
    runner.add(test::ledger_projection());
    runner.start();
    REQUIRE(runner.wait_until("ledger", 50, 30s));
  }
  int pages = std::stoi(test::raw_query(f.model, "PRAGMA page_count"));
  test::sqlite_disk_limit disk(pages + 4, f.model);
  f.deposit(3000, 10, 51);
  projection_runner runner(f.store(), f.model, test::quick_retries(64));
  runner.add(test::ledger_projection());
  runner.start();
  REQUIRE(test::eventually([&] {
    auto s = runner.status("ledger");
    return s.state == projection_state::recovering && s.retries >= 2;
  }));
  auto s = runner.status("ledger");
  CHECK_THAT(s.error, Catch::Contains("full"));
  CHECK(s.checkpoint < 3050);
  CHECK(s.lag == s.head - s.checkpoint);
  CHECK_THAT(render_progress_bar(s), Catch::Contains("recovering") && Catch::Contains("full"));
  check_consistent(f.model);

  disk.lift();
  REQUIRE(runner.wait_until("ledger", 3050, 60s));
  CHECK(runner.status("ledger").state == projection_state::live);
  test::check_applied_once(f.model, 3050);
}

TEST_CASE("a read model locked past the busy timeout recovers when the lock is released",
          "[recovery][sqlite_model]") {
  projection_fixture f;
  f.deposit(20);
  projection_runner runner(f.store(), f.model, test::quick_retries(64));
  runner.add(test::ledger_projection());
  runner.start();
  REQUIRE(runner.wait_until("ledger", 20, 30s));
  {
    write_lock other(f.model);
    f.deposit(20, 10, 21);
    // SQLite waits 10 s for the lock before it gives up.
    REQUIRE(test::eventually(
        [&] { return runner.status("ledger").state == projection_state::recovering; }));
    CHECK_THAT(runner.status("ledger").error, Catch::Contains("locked"));
  }
  REQUIRE(runner.wait_until("ledger", 40, 30s));
  test::check_applied_once(f.model, 40);
}

TEST_CASE("a leader whose lock file is replaced stops leading and applies nothing twice",
          "[leadership][sqlite_model]") {
  projection_fixture f;
  f.deposit(30);
  projection_runner first(f.store(), f.model, test::quick_retries(64));
  first.add(test::ledger_projection());
  first.start();
  REQUIRE(first.wait_until("ledger", 30, 30s));
  // An operator deletes the lock file: the next runner makes a new one and leads.
  REQUIRE(std::filesystem::remove(f.model + "-lead-ledger"));
  projection_runner second(f.store(), f.model, test::quick_retries(64));
  second.add(test::ledger_projection());
  second.start();
  REQUIRE(
      test::eventually([&] { return second.status("ledger").state == projection_state::live; }));
  f.deposit(100, 10, 31);
  REQUIRE(second.wait_until("ledger", 130, 30s));
  // The first runner finds its lock file gone when it next writes, and stands by.
  REQUIRE(
      test::eventually([&] { return first.status("ledger").state == projection_state::standby; }));
  CHECK(second.status("ledger").state == projection_state::live);
  test::check_applied_once(f.model, 130);
}
