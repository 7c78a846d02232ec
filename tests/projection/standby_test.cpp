// One runner leads a projection on a read model (SQLite file or PostgreSQL schema); the others
// stand by and take over when it stops.
#include <catch2/catch.hpp>

#include "projection/projection_fixture.hpp"

using namespace annal;
using namespace std::chrono_literals;
using annal::test::projection_fixture;

TEST_CASE("a second runner of a projection stands by and takes over when the leader stops",
          "[leadership]") {
  projection_fixture f;
  f.deposit(100);
  projection_runner first(f.store(), f.model, test::quick_retries());
  first.add(test::ledger_projection());
  first.start();
  REQUIRE(first.wait_until("ledger", 100, 30s));

  projection_runner second(f.store(), f.model, test::quick_retries());
  second.add(test::ledger_projection());
  second.start();
  REQUIRE(test::eventually([&] {
    auto s = second.status("ledger");
    return s.state == projection_state::standby && s.serving_checkpoint == 100;
  }));
  CHECK(to_string(second.status("ledger").state) == "standby");
  f.deposit(100, 10, 101);
  REQUIRE(first.wait_until("ledger", 200, 30s));
  // The standby reads the leader's progress at each attempt to lead, and stays where it is.
  REQUIRE(test::eventually([&] {
    auto s = second.status("ledger");
    return s.state == projection_state::standby && s.serving_checkpoint == 200;
  }));
  CHECK(first.status("ledger").state == projection_state::live);
  CHECK(second.wait_until("ledger", 200, 1s));

  first.stop();
  f.deposit(50, 10, 201);
  REQUIRE(second.wait_until("ledger", 250, 30s));
  CHECK(second.status("ledger").state == projection_state::live);
  test::check_applied_once(f.model, 250);
}

TEST_CASE("runners of different projections on one read model do not wait for each other",
          "[leadership]") {
  projection_fixture f;
  f.deposit(20);
  projection_runner a(f.store(), f.model, test::quick_retries());
  projection_runner b(f.store(), f.model, test::quick_retries());
  a.add(test::ledger_projection());
  projection other;
  other.name = "other";
  other.handler = sink_handler{[](const recorded_event&) {}};
  b.add(std::move(other));
  a.start();
  b.start();
  CHECK(a.wait_until("ledger", 20, 30s));
  CHECK(b.wait_until("other", 20, 30s));
  CHECK(a.status("ledger").state == projection_state::live);
  CHECK(b.status("other").state == projection_state::live);
}
