// Status and the progress bar.
#include <catch2/catch.hpp>

#include "projection/projection_fixture.hpp"

using namespace annal;
using namespace std::chrono_literals;
using annal::test::projection_fixture;

TEST_CASE("the progress bar shows state, fraction, positions, lag, rate and ETA", "[status]") {
  projection_status s;
  s.name = "order_summary";
  s.version = 3;
  s.state = projection_state::rebuilding;
  s.checkpoint = 500000;
  s.head = 1000000;
  s.lag = 500000;
  s.events_per_second = 212345.4;
  s.eta_seconds = 2.35;
  CHECK(render_progress_bar(s, 20) ==
        "order_summary v3 rebuilding [##########----------]  50.0% 500000/1000000 lag 500000 "
        "212345 ev/s ETA 2s");
  s.start_position = 500000;
  s.checkpoint = 750000;
  s.eta_seconds.reset();
  s.dead_letters = 2;
  CHECK(render_progress_bar(s, 4) ==
        "order_summary v3 rebuilding [##--]  50.0% 750000/1000000 lag 500000 212345 ev/s dead "
        "letters 2");
  projection_status empty;
  empty.name = "x";
  CHECK(render_progress_bar(empty, 2) == "x v0 stopped [##] 100.0% 0/0 lag 0 0 ev/s");
}

TEST_CASE("state names are stable", "[status]") {
  CHECK(to_string(projection_state::catching_up) == "catching_up");
  CHECK(to_string(projection_state::live) == "live");
  CHECK(to_string(projection_state::rebuilding) == "rebuilding");
  CHECK(to_string(projection_state::stopped) == "stopped");
  CHECK(to_string(projection_state::failed) == "failed");
  CHECK(to_string(projection_state::standby) == "standby");
  CHECK(to_string(projection_state::recovering) == "recovering");
}

TEST_CASE("the progress bar says why a projection failed or is recovering", "[status]") {
  projection_status s;
  s.name = "p";
  s.version = 1;
  s.state = projection_state::failed;
  s.error = "the read model was built from another store";
  CHECK(render_progress_bar(s, 2) ==
        "p v1 failed [##] 100.0% 0/0 lag 0 0 ev/s failed: the read model was built from another "
        "store");
  s.failed_position = 7;
  s.failed_type = "t";
  s.error = "boom";
  CHECK(render_progress_bar(s, 2) ==
        "p v1 failed [##] 100.0% 0/0 lag 0 0 ev/s failed at 7 (t): boom");
  s.state = projection_state::recovering;
  s.retries = 3;
  s.error = "database or disk is full";
  CHECK(render_progress_bar(s, 2) ==
        "p v1 recovering [##] 100.0% 0/0 lag 0 0 ev/s attempt 3 failed: database or disk is full");
}

TEST_CASE("a reader treats a projection as live only while a runner follows the log closely",
          "[status]") {
  projection_status s;
  s.head = 100;
  s.serving_checkpoint = 100;
  for (auto state : {projection_state::live, projection_state::catching_up,
                     projection_state::rebuilding, projection_state::standby}) {
    s.state = state;
    CAPTURE(to_string(state));
    CHECK(serves_live(s));
  }
  for (auto state :
       {projection_state::stopped, projection_state::failed, projection_state::recovering}) {
    s.state = state;
    CAPTURE(to_string(state));
    CHECK_FALSE(serves_live(s));
    CHECK_FALSE(serves_live(s, 1000));
  }
  s.state = projection_state::live;
  s.serving_lag = 5;
  CHECK_FALSE(serves_live(s));
  CHECK(serves_live(s, 5));
  // A read model ahead of the log (a store restored from an older backup) is never live.
  s.state = projection_state::standby;
  s.serving_lag = 0;
  s.serving_checkpoint = 101;
  CHECK_FALSE(serves_live(s, 1000));
}

TEST_CASE("status reports checkpoint, head, lag and a rate after catching up", "[status]") {
  projection_fixture f;
  f.deposit(500);
  runner_options options;
  options.batch_size = 50;
  options.rate_interval = 60s;
  projection_runner runner(f.store(), f.model, options);
  runner.add(test::ledger_projection());
  auto before = runner.status("ledger");
  CHECK(before.state == projection_state::stopped);
  CHECK(before.checkpoint == 0);
  runner.start();
  REQUIRE(runner.wait_until("ledger", 500, 30s));
  auto s = runner.status("ledger");
  CHECK(s.name == "ledger");
  CHECK(s.version == 1);
  CHECK(s.state == projection_state::live);
  CHECK(s.head == 500);
  CHECK(s.checkpoint == 500);
  CHECK(s.lag == 0);
  CHECK(s.serving_lag == 0);
  CHECK(serves_live(s));
  CHECK(s.events_per_second > 0);
  CHECK_FALSE(s.eta_seconds.has_value());
  auto all = runner.statuses();
  REQUIRE(all.size() == 1);
  CHECK(all[0].name == "ledger");
  runner.stop();
  CHECK(runner.status("ledger").state == projection_state::stopped);
}
