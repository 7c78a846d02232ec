// SQLite backend under a full disk (PRAGMA max_page_count) and a read-only file: clean errors,
// nothing acknowledged lost, nothing partial written.
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <iostream>

#include "annal/error.hpp"
#include "annal/open_store.hpp"
#include "support/raw_sqlite.hpp"
#include "support/sqlite_disk_limit.hpp"
#include "support/store_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace annal;
using annal::test::make_events;

namespace {

std::vector<event_data> big_batch(std::size_t events) {
  auto batch = make_events(events);
  for (auto& e : batch) e.payload = "{\"pad\":\"" + std::string(3000, 'p') + "\"}";
  return batch;
}

}  // namespace

TEST_CASE("a full disk fails the append with ENOSPC and loses nothing acknowledged",
          "[fault][sqlite]") {
  // The disk fills after 0 to 23 more pages: at every page the workload can reach.
  constexpr int sweep = 24;
  std::size_t faults = 0;
  for (int room = 0; room < sweep; ++room) {
    CAPTURE(room);
    test::temp_dir dir;
    std::string path = dir.file("store.db");
    std::string uri = "sqlite:" + path;
    open_store(uri)->append("before", expected_version::any(), big_batch(4));
    int pages = std::stoi(test::raw_query(path, "PRAGMA page_count"));
    std::uint64_t acknowledged_head = 4;
    std::size_t acknowledged_events = 0;
    {
      test::sqlite_disk_limit full(pages + room);
      auto store = open_store(uri);
      bool failed = false;
      for (int i = 0; i < 200 && !failed; ++i) {
        try {
          auto batch = big_batch(1 + i % 3);
          acknowledged_head = store->append("s", expected_version::any(), batch).last_position;
          acknowledged_events += batch.size();
        } catch (const io_error& e) {
          failed = true;
          ++faults;
          CHECK(e.system_code() == ENOSPC);
          CHECK_THAT(e.what(), Catch::Contains("full"));
        }
      }
      REQUIRE(failed);
      // The failed batch left nothing behind; reads still work; appends still fail cleanly.
      CHECK(store->head_position() == acknowledged_head);
      CHECK(store->read_all(1, unlimited).events.size() == acknowledged_head);
      CHECK_THROWS_AS(store->append("s", expected_version::any(), big_batch(3)), io_error);
    }
    // Space again: everything acknowledged is there and appends work.
    auto store = open_store(uri);
    CHECK(store->head_position() == acknowledged_head);
    CHECK(store->read_stream("s").size() == acknowledged_events);
    CHECK(store->append("s", expected_version::any(), big_batch(3)).first_position ==
          acknowledged_head + 1);
  }
  std::cout << "sqlite disk full after each of 0 to " << sweep - 1 << " more pages: " << faults
            << " faults injected and recovered\n";
}

TEST_CASE("a read-only database file is refused with EROFS and left unchanged", "[fault][sqlite]") {
  test::temp_dir dir;
  std::string path = dir.file("store.db");
  std::string uri = "sqlite:" + path;
  open_store(uri)->append("s", expected_version::any(), make_events(3));
  // Root writes through file permissions, so the check runs in a child that gives up root.
  REQUIRE(chmod(dir.path().c_str(), 0777) == 0);
  REQUIRE(chmod(path.c_str(), 0444) == 0);
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    close(fds[0]);
    std::string outcome = "opened and appended";
    if (geteuid() == 0 && (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0))
      _exit(3);
    try {
      auto store = open_store(uri);
      store->append("s", expected_version::any(), make_events(1));
    } catch (const io_error& e) {
      outcome = "io_error " + std::to_string(e.system_code()) + " " + e.what();
    } catch (const std::exception& e) {
      outcome = std::string("other ") + e.what();
    }
    if (write(fds[1], outcome.data(), outcome.size()) < 0) _exit(4);
    _exit(0);
  }
  close(fds[1]);
  std::string outcome;
  char buffer[512];
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof buffer)) > 0) outcome.append(buffer, n);
  close(fds[0]);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  CHECK_THAT(outcome,
             Catch::StartsWith("io_error " + std::to_string(EROFS)) && Catch::Contains("readonly"));
  REQUIRE(chmod(path.c_str(), 0644) == 0);
  auto store = open_store(uri);
  CHECK(store->head_position() == 3);
  CHECK(store->append("s", expected_version::exact(3), make_events(1)).last_position == 4);
}
