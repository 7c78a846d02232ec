// Writers append while projections catch up and go live: nothing skipped, nothing applied twice.
#include <catch2/catch.hpp>
#include <map>
#include <thread>

#include "projection/projection_fixture.hpp"

using namespace annal;
using namespace std::chrono_literals;
using annal::test::projection_fixture;
using annal::test::read_totals;
using annal::test::triangle;

TEST_CASE("projections under concurrent appends see every event exactly once", "[concurrency]") {
  projection_fixture f;
  f.deposit(500);  // a backlog to catch up on while the writers run
  std::mutex m;
  std::map<std::uint64_t, int> deliveries;
  projection counter;
  counter.name = "counter";
  counter.handler = sink_handler{[&](const recorded_event& e) {
    std::lock_guard lock(m);
    ++deliveries[e.position];
  }};
  runner_options options;
  options.batch_size = 64;
  projection_runner runner(f.store(), f.model, options);
  runner.add(test::ledger_projection());
  runner.add(counter);
  runner.start();

  constexpr int writers = 4;
  constexpr int appends_per_writer = 150;
  std::vector<std::jthread> threads;
  std::atomic<long long> cents_total{triangle(500)};
  std::atomic<bool> writer_failed{false};
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      try {
        for (int i = 0; i < appends_per_writer; ++i) {
          std::vector<event_data> batch;
          int size = 1 + i % 3;
          for (int k = 0; k < size; ++k) {
            long long cents = 1000 + w * 10000 + i * 10 + k;
            cents_total += cents;
            batch.push_back(event_codec<ledger::event>::encode(ledger::deposited{cents}));
          }
          f.store().append("writer-" + std::to_string(w) + "-" + std::to_string(i % 7),
                           expected_version::any(), batch);
        }
      } catch (...) {
        writer_failed = true;
      }
    });
  }
  threads.clear();
  REQUIRE_FALSE(writer_failed);
  std::uint64_t head = f.store().head_position();
  CHECK(head == 500 + writers * (appends_per_writer / 3) * (1 + 2 + 3));
  REQUIRE(runner.wait_until("ledger", head, 60s));
  REQUIRE(runner.wait_until("counter", head, 60s));
  auto t = read_totals(f.model);
  CHECK(t.entries == static_cast<std::int64_t>(head));
  CHECK(t.position_sum == triangle(static_cast<std::int64_t>(head)));
  CHECK(t.balance_sum == cents_total.load());
  CHECK(t.checkpoint == static_cast<std::int64_t>(head));
  std::lock_guard lock(m);
  CHECK(deliveries.size() == head);
  bool each_once = std::all_of(deliveries.begin(), deliveries.end(),
                               [](const auto& d) { return d.second == 1; });
  CHECK(each_once);
}
