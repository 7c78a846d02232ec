// Projection runner: catch-up, live following, exactly-once checkpoints, sinks, validation.
#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <thread>

#include "projection/projection_fixture.hpp"

using namespace annal;
using namespace std::chrono_literals;
using annal::test::projection_fixture;
using annal::test::read_totals;
using annal::test::triangle;

TEST_CASE("a read model catches up with the log and commits its checkpoint with it", "[runner]") {
  projection_fixture f;
  f.deposit(1000);
  projection_runner runner(f.store(), f.model, runner_options{.batch_size = 64});
  runner.add(test::ledger_projection());
  runner.start();
  REQUIRE(runner.wait_until("ledger", 1000, 30s));
  auto t = read_totals(f.model);
  CHECK(t.entries == 1000);
  CHECK(t.position_sum == triangle(1000));
  CHECK(t.balance_sum == triangle(1000));
  CHECK(t.checkpoint == 1000);
  auto s = runner.status("ledger");
  CHECK(s.checkpoint == 1000);
  CHECK(s.serving_checkpoint == 1000);
  CHECK(s.lag == 0);
}

TEST_CASE("a live projection follows new appends", "[runner]") {
  projection_fixture f;
  projection_runner runner(f.store(), f.model);
  runner.add(test::ledger_projection());
  runner.start();
  REQUIRE(runner.wait_until("ledger", 0, 30s));
  for (std::uint64_t round = 1; round <= 5; ++round) {
    f.deposit(10, 3, (round - 1) * 10 + 1);
    REQUIRE(runner.wait_until("ledger", round * 10, 30s));
  }
  auto t = read_totals(f.model);
  CHECK(t.entries == 50);
  CHECK(t.balance_sum == triangle(50));
  CHECK(runner.status("ledger").state == projection_state::live);
}

TEST_CASE("a restarted runner resumes from the checkpoint and applies nothing twice", "[runner]") {
  projection_fixture f;
  f.deposit(300);
  {
    projection_runner runner(f.store(), f.model, runner_options{.batch_size = 50});
    runner.add(test::ledger_projection());
    runner.start();
    REQUIRE(runner.wait_until("ledger", 300, 30s));
    runner.stop();
    CHECK(runner.status("ledger").state == projection_state::stopped);
  }
  f.deposit(200, 10, 301);
  projection_runner runner(f.store(), f.model, runner_options{.batch_size = 50});
  runner.add(test::ledger_projection());
  CHECK(runner.status("ledger").checkpoint == 300);
  runner.start();
  REQUIRE(runner.wait_until("ledger", 500, 30s));
  auto t = read_totals(f.model);
  CHECK(t.entries == 500);
  CHECK(t.position_sum == triangle(500));
  CHECK(t.balance_sum == triangle(500));
}

TEST_CASE("a sink receives every wanted event in position order with its metadata", "[runner]") {
  projection_fixture f;
  f.store().append("acct-x", expected_version::any(),
                   event_codec<ledger::event>::encode(ledger::opened{"ada"}));
  f.store().append("other", expected_version::any(), test::make_event("noise.made"));
  f.deposit(20, 2, 1);
  std::mutex m;
  std::vector<std::uint64_t> positions;
  std::vector<std::string> owners;
  projection_runner runner(f.store(), f.model);
  runner.add(
      sink_projection<ledger::event>("ledger_sink", 1, [&](const auto& e, const recorded_event& r) {
        std::lock_guard lock(m);
        positions.push_back(r.position);
        if constexpr (std::is_same_v<std::decay_t<decltype(e)>, ledger::opened>) {
          owners.push_back(e.owner + "@" + r.stream_id);
        }
      }));
  runner.start();
  REQUIRE(runner.wait_until("ledger_sink", 22, 30s));
  std::lock_guard lock(m);
  REQUIRE(positions.size() == 21);  // the "noise.made" event at position 2 is not wanted
  CHECK(positions.front() == 1);
  CHECK(std::is_sorted(positions.begin(), positions.end()));
  CHECK(std::set<std::uint64_t>(positions.begin(), positions.end()).count(2) == 0);
  CHECK(owners == std::vector<std::string>{"ada@acct-x"});
  CHECK(runner.status("ledger_sink").checkpoint == 22);
}

TEST_CASE("a projection that fails does not stop the others", "[runner]") {
  projection_fixture f;
  f.deposit(100);
  projection broken;
  broken.name = "broken";
  broken.handler = sink_handler{[](const recorded_event& e) {
    if (e.position == 10) throw std::runtime_error("boom");
  }};
  projection_runner runner(f.store(), f.model, runner_options{.batch_size = 16});
  runner.add(std::move(broken));
  runner.add(test::ledger_projection());
  runner.start();
  REQUIRE(runner.wait_until("ledger", 100, 30s));
  CHECK_FALSE(runner.wait_until("broken", 100, 30s));
  auto s = runner.status("broken");
  CHECK(s.state == projection_state::failed);
  CHECK(s.failed_position == 10);
  CHECK(s.checkpoint == 9);
  CHECK(s.error == "boom");
  f.deposit(10, 10, 101);
  REQUIRE(runner.wait_until("ledger", 110, 30s));
  CHECK(read_totals(f.model).entries == 110);
}

TEST_CASE("events the filter passes over still move the checkpoint", "[runner]") {
  projection_fixture f;
  f.deposit(5);
  for (int i = 0; i < 20; ++i)
    f.store().append("other", expected_version::any(), test::make_event("noise.made"));
  projection_runner runner(f.store(), f.model);
  runner.add(test::ledger_projection());
  runner.start();
  REQUIRE(runner.wait_until("ledger", 25, 30s));
  CHECK(read_totals(f.model).checkpoint == 25);
  CHECK(read_totals(f.model).entries == 5);
}

TEST_CASE("invalid projections are refused with invalid_argument", "[runner][validation]") {
  projection_fixture f;
  projection_runner runner(f.store(), f.model);
  runner.add(test::ledger_projection());
  auto sink = [](std::string name) {
    projection p;
    p.name = std::move(name);
    p.handler = sink_handler{[](const recorded_event&) {}};
    return p;
  };
  CHECK_THROWS_AS(runner.add(sink("")), invalid_argument);
  CHECK_THROWS_AS(runner.add(sink("has space")), invalid_argument);
  CHECK_THROWS_AS(runner.add(sink("9lives")), invalid_argument);
  CHECK_THROWS_AS(runner.add(sink(std::string(65, 'a'))), invalid_argument);
  CHECK_THROWS_AS(runner.add(sink("ledger")), invalid_argument);  // taken
  projection neither;
  neither.name = "neither";
  CHECK_THROWS_AS(runner.add(neither), invalid_argument);
  projection empty_sink = sink("empty_sink");
  empty_sink.handler = sink_handler{};
  CHECK_THROWS_AS(runner.add(empty_sink), invalid_argument);
  projection empty_model = test::ledger_projection(1, 1, "empty_model");
  empty_model.tables = {"elsewhere"};
  empty_model.handler = read_model_preparer{};
  CHECK_THROWS_AS(runner.add(empty_model), invalid_argument);
  projection sink_with_tables = sink("sink_with_tables");
  sink_with_tables.tables = {"mine"};
  CHECK_THROWS_AS(runner.add(sink_with_tables), invalid_argument);
  projection no_create = test::ledger_projection(1, 1, "no_create");
  no_create.create_tables = nullptr;
  CHECK_THROWS_AS(runner.add(no_create), invalid_argument);
  CHECK_THROWS_AS(runner.add(test::ledger_projection(1, 1, "ledger2")),
                  invalid_argument);  // tables taken
  projection bad_table = test::ledger_projection(1, 1, "bad_table");
  bad_table.tables = {"annal_mine"};
  CHECK_THROWS_AS(runner.add(bad_table), invalid_argument);
  bad_table.tables = {"x; DROP TABLE y"};
  CHECK_THROWS_AS(runner.add(bad_table), invalid_argument);
  bad_table.tables = {"t", "t"};
  CHECK_THROWS_AS(runner.add(bad_table), invalid_argument);
  CHECK_THROWS_AS(runner.status("missing"), invalid_argument);
  CHECK_THROWS_AS(runner.rebuild("missing"), invalid_argument);
  CHECK_THROWS_AS(projection_runner(f.store(), f.model, runner_options{.batch_size = 0}),
                  invalid_argument);
  runner_options no_pause;
  no_pause.recovery_backoff = 0ms;
  CHECK_THROWS_AS(projection_runner(f.store(), f.model, no_pause), invalid_argument);
  runner_options max_below_initial;
  max_below_initial.recovery_backoff = 2s;
  max_below_initial.max_recovery_backoff = 1s;
  CHECK_THROWS_AS(projection_runner(f.store(), f.model, max_below_initial), invalid_argument);
  CHECK_THROWS_AS(projection_runner(f.store(), f.dir.file("no/such/dir/model.db")), io_error);
}

TEST_CASE("closing the store fails the running projections with store_closed", "[runner]") {
  projection_fixture f;
  f.deposit(5);
  projection_runner runner(f.store(), f.model);
  runner.add(test::ledger_projection());
  runner.start();
  REQUIRE(runner.wait_until("ledger", 5, 30s));
  f.store().close();
  REQUIRE(
      test::eventually([&] { return runner.status("ledger").state == projection_state::failed; }));
  CHECK(runner.status("ledger").error.find("closed") != std::string::npos);
  CHECK(read_totals(f.model).entries == 5);
}
