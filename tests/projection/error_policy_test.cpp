// Error policies: stop at the failing event, retry with backoff, skip and record a dead letter.
#include <atomic>
#include <catch2/catch.hpp>

#include "projection/projection_fixture.hpp"

using namespace annal;
using namespace std::chrono_literals;
using annal::test::projection_fixture;
using annal::test::read_totals;
using annal::test::triangle;

namespace {

// The ledger projection, except that the event at `bad_position` writes its entry and then
// throws while `failing` is true, so a rollback of its writes can be checked.
projection flaky_ledger(std::uint64_t bad_position, std::shared_ptr<std::atomic<int>> failing,
                        error_policy policy) {
  projection p = test::with_hooks(
      test::ledger_projection(), nullptr,
      [bad_position, failing](const recorded_event& r, read_model_transaction&) {
        if (r.position == bad_position && failing->load() > 0) {
          failing->fetch_sub(1);
          throw std::runtime_error("handler refused position " + std::to_string(r.position));
        }
      });
  p.on_error = policy;
  return p;
}

void append_garbage(event_store& store) {
  event_data bad;
  bad.type = std::string(ledger::deposited::type);
  bad.payload = "{\"cents\": \"not a number\"}";
  store.append("acct-bad", expected_version::any(), bad);
}

}  // namespace

TEST_CASE("under the stop policy the runner stops at the failing event and keeps the ones before",
          "[policy]") {
  projection_fixture f;
  f.deposit(100);
  auto failing = std::make_shared<std::atomic<int>>(1);
  projection_runner runner(f.store(), f.model, runner_options{.batch_size = 32});
  runner.add(flaky_ledger(50, failing, error_policy::stop()));
  runner.start();
  CHECK_FALSE(runner.wait_until("ledger", 100, 30s));
  auto s = runner.status("ledger");
  CHECK(s.state == projection_state::failed);
  CHECK(s.failed_position == 50);
  CHECK(s.failed_type == "ledger.deposited");
  CHECK(s.failed_stream == "acct-0");
  CHECK(s.error == "handler refused position 50");
  CHECK(s.checkpoint == 49);
  // The failing event's own writes were rolled back with it.
  auto t = read_totals(f.model);
  CHECK(t.entries == 49);
  CHECK(t.position_sum == triangle(49));
  CHECK(t.checkpoint == 49);
  CHECK(render_progress_bar(s).find("failed at 50") != std::string::npos);
  // The cause is gone (failing is 0 now): a restart resumes from the checkpoint.
  runner.start("ledger");
  REQUIRE(runner.wait_until("ledger", 100, 30s));
  t = read_totals(f.model);
  CHECK(t.entries == 100);
  CHECK(t.position_sum == triangle(100));
  CHECK(t.balance_sum == triangle(100));
}

TEST_CASE("under the retry policy a transient failure is retried until it passes", "[policy]") {
  projection_fixture f;
  f.deposit(40);
  auto failing = std::make_shared<std::atomic<int>>(3);
  projection_runner runner(f.store(), f.model, runner_options{.batch_size = 16});
  runner.add(flaky_ledger(20, failing, error_policy::retry(5, 1ms, 4ms)));
  runner.start();
  REQUIRE(runner.wait_until("ledger", 40, 30s));
  CHECK(failing->load() == 0);
  auto t = read_totals(f.model);
  CHECK(t.entries == 40);
  CHECK(t.position_sum == triangle(40));
  auto s = runner.status("ledger");
  CHECK(s.failed_position == 20);
  CHECK(s.retries == 0);
}

TEST_CASE("under the retry policy the runner stops when the retries run out", "[policy]") {
  projection_fixture f;
  f.deposit(40);
  auto failing = std::make_shared<std::atomic<int>>(1000);
  projection_runner runner(f.store(), f.model, runner_options{.batch_size = 16});
  runner.add(flaky_ledger(20, failing, error_policy::retry(2, 1ms)));
  runner.start();
  CHECK_FALSE(runner.wait_until("ledger", 40, 30s));
  auto s = runner.status("ledger");
  CHECK(s.state == projection_state::failed);
  CHECK(s.failed_position == 20);
  CHECK(s.retries == 2);
  CHECK(failing->load() == 1000 - 3);  // the first attempt and two retries
  CHECK(read_totals(f.model).entries == 19);
}

TEST_CASE("under skip_and_record a failing event goes to the dead letters and the rest goes on",
          "[policy]") {
  projection_fixture f;
  f.deposit(10);
  append_garbage(f.store());  // position 11: does not decode
  f.deposit(10, 10, 12);
  auto failing = std::make_shared<std::atomic<int>>(1);
  projection_runner runner(f.store(), f.model, runner_options{.batch_size = 8});
  runner.add(flaky_ledger(5, failing, error_policy::skip_and_record()));
  runner.start();
  REQUIRE(runner.wait_until("ledger", 21, 30s));
  auto letters = runner.dead_letters("ledger");
  REQUIRE(letters.size() == 2);
  CHECK(letters[0].projection == "ledger");
  CHECK(letters[0].position == 5);
  CHECK(letters[0].type == "ledger.deposited");
  CHECK(letters[0].stream_id == "acct-5");
  CHECK(letters[0].error == "handler refused position 5");
  CHECK(letters[1].position == 11);
  CHECK(letters[1].stream_id == "acct-bad");
  CHECK(letters[1].error.find("cents") != std::string::npos);
  auto t = read_totals(f.model);
  CHECK(t.entries == 19);
  CHECK(t.position_sum == triangle(21) - 5 - 11);
  CHECK(t.checkpoint == 21);
  CHECK(runner.status("ledger").dead_letters == 2);
  CHECK(runner.status("ledger").state == projection_state::live);
}

TEST_CASE("a sink under skip_and_record records its failures too", "[policy]") {
  projection_fixture f;
  f.deposit(10);
  std::atomic<int> seen{0};
  projection p;
  p.name = "picky";
  p.on_error = error_policy::skip_and_record();
  p.handler = sink_handler{[&](const recorded_event& e) {
    if (e.position % 4 == 0) throw std::runtime_error("no multiples of four");
    ++seen;
  }};
  projection_runner runner(f.store(), f.model);
  runner.add(std::move(p));
  runner.start();
  REQUIRE(runner.wait_until("picky", 10, 30s));
  CHECK(seen.load() == 8);
  auto letters = runner.dead_letters("picky");
  REQUIRE(letters.size() == 2);
  CHECK(letters[0].position == 4);
  CHECK(letters[1].position == 8);
}

TEST_CASE("SQL that does not compile fails the event with invalid_argument's message", "[policy]") {
  projection_fixture f;
  f.deposit(3);
  projection p = test::ledger_projection();
  p.handler = read_model_handler{[](const recorded_event&, read_model_transaction& tx) {
    tx.execute("INSERT INTO {balances} VALUES (");
  }};
  projection_runner runner(f.store(), f.model);
  runner.add(std::move(p));
  runner.start();
  CHECK_FALSE(runner.wait_until("ledger", 3, 30s));
  auto s = runner.status("ledger");
  CHECK(s.state == projection_state::failed);
  CHECK(s.failed_position == 1);
  CHECK(s.error.find("does not compile") != std::string::npos);
}
