// Conformance: wait_for wakes on appends and times out; close ends every later call.
#include <catch2/catch.hpp>
#include <atomic>
#include <future>

#include "annal/error.hpp"
#include "support/store_fixture.hpp"
#include "support/thread_state.hpp"

using namespace annal;
using namespace std::chrono_literals;
using annal::test::make_events;
using annal::test::store_fixture;

TEST_CASE("wait_for returns at once when the head is already there", "[wait]") {
  store_fixture f;
  f.store().append("s", expected_version::any(), make_events(2));
  CHECK(f.store().wait_for(2, 0ms));
  CHECK(f.store().wait_for(1, 0ms));
}

TEST_CASE("wait_for times out when nothing is appended", "[wait]") {
  store_fixture f;
  auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(f.store().wait_for(1, 100ms));
  CHECK(std::chrono::steady_clock::now() - start >= 100ms);
}

TEST_CASE("wait_for wakes when another thread appends", "[wait]") {
  store_fixture f;
  auto& s = f.store();
  // Appends once the waiter sleeps inside wait_for, so that the append is what wakes it.
  auto waiter = test::run_until_blocked([&] { return s.wait_for(3, 30s); });
  s.append("s", expected_version::any(), make_events(1));
  s.append("s", expected_version::any(), make_events(2));
  REQUIRE(waiter.wait_for(10s) == std::future_status::ready);
  CHECK(waiter.get());
}

TEST_CASE("close makes every later call throw store_closed", "[close]") {
  store_fixture f;
  auto& s = f.store();
  s.append("s", expected_version::any(), make_events(1));
  s.close();
  s.close();  // idempotent
  CHECK(s.is_closed());
  CHECK_THROWS_AS(s.append("s", expected_version::any(), make_events(1)), store_closed);
  CHECK_THROWS_AS(s.read_stream("s"), store_closed);
  CHECK_THROWS_AS(s.read_all(1, 10), store_closed);
  CHECK_THROWS_AS(s.head_position(), store_closed);
  CHECK_THROWS_AS(s.stream_version("s"), store_closed);
  CHECK_THROWS_AS(s.wait_for(1, 0ms), store_closed);
  try {
    s.head_position();
  } catch (const error& e) {
    CHECK(e.code() == errc::store_closed);
  }
}

TEST_CASE("close wakes a waiter, which throws store_closed", "[close]") {
  store_fixture f;
  auto& s = f.store();
  auto waiter = test::run_until_blocked([&] { return s.wait_for(100, 30s); });
  s.close();
  REQUIRE(waiter.wait_for(10s) == std::future_status::ready);
  CHECK_THROWS_AS(waiter.get(), store_closed);
}

TEST_CASE("close waits for snapshot calls in progress, and later ones throw store_closed",
          "[close][concurrency]") {
  store_fixture f;
  auto& s = f.store();
  s.append("s", expected_version::any(), make_events(1));
  // The reference outlives close(): a call through it after close() throws, it never reaches a
  // snapshot store that close() destroyed.
  snapshot_store& snapshots = s.snapshots();
  std::atomic<bool> saved{false};
  std::atomic<int> closed_errors{0};
  std::atomic<int> other_errors{0};
  std::thread user([&] {
    for (std::uint64_t version = 1;; ++version) {
      try {
        snapshot snap;
        snap.stream_id = "s";
        snap.version = version;
        snap.position = version;
        snap.aggregate_type = "test";
        snap.fingerprint = 7;
        snap.payload = "{}";
        snapshots.save(snap, 2);
        snapshots.load("s", 7);
        saved = true;
      } catch (const store_closed&) {
        ++closed_errors;
        return;
      } catch (...) {
        ++other_errors;
        return;
      }
    }
  });
  while (!saved) std::this_thread::yield();
  s.close();
  user.join();
  CHECK(closed_errors == 1);
  CHECK(other_errors == 0);
  CHECK_THROWS_AS(snapshots.count(), store_closed);
  CHECK_THROWS_AS(s.snapshots(), store_closed);
}
