// Rebuilds: a version bump or an explicit rebuild fills shadow tables while the current ones
// serve, then one transaction swaps them.
#include <catch2/catch.hpp>
#include <memory>

#include "projection/gate.hpp"
#include "projection/projection_fixture.hpp"

using namespace annal;
using namespace std::chrono_literals;
using annal::test::gate;
using annal::test::gated;
using annal::test::projection_fixture;
using annal::test::read_totals;
using annal::test::triangle;

namespace {

// Whether the read model has a table `name`, asked in SQL that SQLite and PostgreSQL share: a
// query of a missing table does not compile.
bool table_exists(const std::string& model, const std::string& name) {
  read_model_reader reader(model);
  try {
    reader.query("SELECT count(*) FROM \"" + name + "\"", {}, [](const sql_row&) {});
    return true;
  } catch (const invalid_argument&) {
    return false;
  }
}

}  // namespace

TEST_CASE("a new version is built in shadow tables while the old version serves, then swapped",
          "[rebuild]") {
  projection_fixture f;
  f.deposit(200);
  {
    projection_runner runner(f.store(), f.model);
    runner.add(test::ledger_projection(1, 1));
    runner.start();
    REQUIRE(runner.wait_until("ledger", 200, 30s));
  }
  auto g = std::make_shared<gate>();
  runner_options options;
  options.batch_size = 32;
  options.rate_interval = 60s;
  projection_runner runner(f.store(), f.model, options);
  runner.add(gated(test::ledger_projection(2, 10), g, 100, "__v2_2"));
  runner.start();
  REQUIRE(g->wait_arrival(30s));
  auto s = runner.status("ledger");
  CHECK(s.state == projection_state::rebuilding);
  CHECK(s.version == 2);
  CHECK(s.serving_checkpoint == 200);
  CHECK(s.checkpoint < 100);
  CHECK(s.lag == 200 - s.checkpoint);
  CHECK(s.events_per_second > 0);
  REQUIRE(s.eta_seconds.has_value());
  CHECK(*s.eta_seconds > 0);
  // Readers still see version 1, whole.
  auto t = read_totals(f.model);
  CHECK(t.balance_sum == triangle(200));
  CHECK(t.entries == 200);
  read_model_reader reader(f.model);
  CHECK(reader.current_table("ledger", "balances") == "balances__v1_1");
  CHECK(table_exists(f.model, "balances__v2_2"));

  g->release();
  REQUIRE(runner.wait_until("ledger", 200, 30s));
  t = read_totals(f.model);
  CHECK(t.balance_sum == 10 * triangle(200));
  CHECK(t.entries == 200);
  CHECK(t.checkpoint == 200);
  CHECK(reader.current_table("ledger", "balances") == "balances__v2_2");
  CHECK_FALSE(table_exists(f.model, "balances__v1_1"));
  CHECK_FALSE(table_exists(f.model, "entries__v1_1"));
  CHECK(runner.status("ledger").state == projection_state::live);
}

TEST_CASE("during an explicit rebuild the current build keeps following the log", "[rebuild]") {
  projection_fixture f;
  f.deposit(100);
  // The shadow build (build 2) waits at position 50 until new events are appended, and at 100
  // until the test has looked; one thread runs a batch of each build in turn, so the current
  // build handles the new events while the shadow is still far behind.
  auto appended = std::make_shared<gate>();
  auto looked = std::make_shared<gate>();
  projection p = gated(gated(test::ledger_projection(), appended, 50, "_2"), looked, 100, "_2");
  runner_options options;
  options.batch_size = 8;
  projection_runner runner(f.store(), f.model, options);
  runner.add(p);
  runner.start();
  REQUIRE(runner.wait_until("ledger", 100, 30s));
  runner.rebuild("ledger");
  REQUIRE(appended->wait_arrival(30s));
  f.deposit(10, 10, 101);
  appended->release();
  REQUIRE(looked->wait_arrival(30s));
  auto s = runner.status("ledger");
  CHECK(s.state == projection_state::rebuilding);
  CHECK(s.serving_checkpoint == 110);
  CHECK(s.checkpoint < 100);
  looked->release();
  REQUIRE(runner.wait_until("ledger", 110, 60s));
  auto t = read_totals(f.model);
  CHECK(t.entries == 110);
  CHECK(t.position_sum == triangle(110));
  CHECK(t.balance_sum == triangle(110));
  read_model_reader reader(f.model);
  CHECK(reader.current_table("ledger", "entries") == "entries__v1_2");
  CHECK_FALSE(table_exists(f.model, "entries__v1_1"));
}

TEST_CASE("a rebuild can start from a given position", "[rebuild]") {
  projection_fixture f;
  f.deposit(100);
  projection_runner runner(f.store(), f.model);
  runner.add(test::ledger_projection());
  runner.start();
  REQUIRE(runner.wait_until("ledger", 100, 30s));
  runner.rebuild("ledger", 51);
  REQUIRE(runner.wait_until("ledger", 100, 30s));
  auto t = read_totals(f.model);
  CHECK(t.entries == 50);
  CHECK(t.position_sum == triangle(100) - triangle(50));
  CHECK(runner.status("ledger").start_position == 50);
}

TEST_CASE(
    "a rebuild asked for while stopped proceeds once started, and starts over when asked "
    "again",
    "[rebuild]") {
  projection_fixture f;
  f.deposit(60);
  projection_runner runner(f.store(), f.model);
  runner.add(test::ledger_projection());
  runner.start();
  REQUIRE(runner.wait_until("ledger", 60, 30s));
  runner.stop();
  runner.rebuild("ledger");
  runner.rebuild("ledger");  // replaces the shadow build just made
  read_model_reader reader(f.model);
  CHECK(table_exists(f.model, "balances__v1_3"));
  CHECK_FALSE(table_exists(f.model, "balances__v1_2"));
  CHECK(reader.current_table("ledger", "balances") == "balances__v1_1");
  runner.start();
  REQUIRE(runner.wait_until("ledger", 60, 30s));
  CHECK(reader.current_table("ledger", "balances") == "balances__v1_3");
  CHECK(read_totals(f.model).entries == 60);
}

TEST_CASE("rebuilding a sink resets it and delivers the log again", "[rebuild]") {
  projection_fixture f;
  f.deposit(30);
  std::mutex m;
  std::vector<std::uint64_t> positions;
  std::vector<std::uint64_t> resets;
  projection p;
  p.name = "copy";
  p.handler = sink_handler{[&](const recorded_event& e) {
    std::lock_guard lock(m);
    positions.push_back(e.position);
  }};
  p.reset = [&](std::uint64_t from) {
    std::lock_guard lock(m);
    resets.push_back(from);
    positions.clear();
  };
  projection_runner runner(f.store(), f.model);
  runner.add(p);
  runner.start();
  REQUIRE(runner.wait_until("copy", 30, 30s));
  runner.rebuild("copy", 11);
  REQUIRE(runner.wait_until("copy", 30, 30s));
  std::lock_guard lock(m);
  CHECK(resets == std::vector<std::uint64_t>{11});
  REQUIRE(positions.size() == 20);
  CHECK(positions.front() == 11);
  CHECK(positions.back() == 30);
}
