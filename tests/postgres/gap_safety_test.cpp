// Gap safety: writers on several connections, some holding their transaction open before the
// commit and some aborting, while a subscriber follows the log; it must never skip a position.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "annal/error.hpp"
#include "core/open_store_with_hooks.hpp"
#include "support/store_fixture.hpp"

namespace annal {
namespace {

using namespace std::chrono_literals;

}  // namespace

TEST_CASE("a subscriber never skips an event while slow and aborted transactions commit late",
          "[postgres][gap_safety]") {
  test::store_fixture f;
  // Appends to "slow-" streams hold their transaction open for 30 ms before COMMIT; those to
  // "abort-" streams hold it 30 ms and then fail (the transaction rolls back).
  detail::store_hooks hooks;
  hooks.before_commit = [](std::string_view stream) {
    if (stream.starts_with("slow-") || stream.starts_with("abort-"))
      std::this_thread::sleep_for(30ms);
    if (stream.starts_with("abort-")) throw std::runtime_error("aborted by the test");
  };

  constexpr int writer_stores = 4;
  constexpr int threads_per_store = 2;
  constexpr int appends_per_thread = 40;
  std::vector<std::unique_ptr<event_store>> stores;
  for (int i = 0; i < writer_stores; ++i) stores.push_back(f.open_another(hooks));

  std::atomic<bool> writing{true};
  std::atomic<std::uint64_t> acknowledged_events{0};
  std::atomic<int> aborted{0};
  std::mutex acknowledged_mutex;
  std::set<std::uint64_t> acknowledged_positions;

  // The subscriber: reads pages from its checkpoint and checks each page starts exactly there.
  std::uint64_t skips = 0;
  std::uint64_t next = 1;
  std::thread subscriber([&] {
    auto reader = f.open_another();
    while (true) {
      bool done = !writing.load();
      log_slice page = reader->read_all(next, 50);
      for (const auto& e : page.events) {
        if (e.position != next) ++skips;
        next = e.position + 1;
      }
      if (done && page.end_of_log) break;
      if (page.events.empty()) reader->wait_for(next, 20ms);
    }
  });

  std::vector<std::thread> writers;
  for (int s = 0; s < writer_stores; ++s) {
    for (int t = 0; t < threads_per_store; ++t) {
      writers.emplace_back([&, s, t] {
        for (int i = 0; i < appends_per_thread; ++i) {
          std::string kind = i % 7 == 3 ? "abort-" : i % 5 == 1 ? "slow-" : "fast-";
          std::string stream = kind + std::to_string(s) + "-" + std::to_string(t);
          try {
            auto r = stores[static_cast<std::size_t>(s)]->append(stream, expected_version::any(),
                                                                 test::make_events(1 + i % 3));
            acknowledged_events += r.last_position - r.first_position + 1;
            std::lock_guard lock(acknowledged_mutex);
            for (auto p = r.first_position; p <= r.last_position; ++p) {
              acknowledged_positions.insert(p);
            }
          } catch (const std::runtime_error& e) {
            if (std::string_view(e.what()) != "aborted by the test") throw;
            ++aborted;
          }
        }
      });
    }
  }
  for (auto& w : writers) w.join();
  writing = false;
  subscriber.join();

  CHECK(skips == 0);
  CHECK(aborted > 0);
  std::uint64_t head = f.store().head_position();
  // Aborted transactions leave no hole: the positions are exactly the acknowledged ones.
  CHECK(head == acknowledged_events.load());
  CHECK(acknowledged_positions.size() == head);
  CHECK(next == head + 1);
  for (auto* s : {"abort-0-0", "abort-3-1"}) CHECK(f.store().stream_version(s) == 0);
}

TEST_CASE("readers go on once a transaction held open commits or aborts",
          "[postgres][gap_safety]") {
  test::store_fixture f;
  // The writer of "held" streams waits at its COMMIT until the test opens the gate (a flag, not
  // a mutex the test would hold while it calls the store).
  std::atomic<bool> gate_open{false};
  std::atomic<bool> abort_it{false};
  std::atomic<bool> holding{false};
  detail::store_hooks hooks;
  hooks.before_commit = [&](std::string_view stream) {
    if (!stream.starts_with("held")) return;
    holding = true;
    holding.notify_all();
    gate_open.wait(false);
    if (abort_it) throw std::runtime_error("aborted by the test");
  };
  f.store().append("before", expected_version::any(), test::make_events(2));
  auto writer = f.open_another(hooks);
  auto reader = f.open_another();

  for (bool abort : {false, true}) {
    abort_it = abort;
    std::uint64_t head = reader->head_position();
    std::thread slow([&] {
      try {
        writer->append("held", expected_version::any(), test::make_events(3));
      } catch (const std::runtime_error&) {
      }
    });
    holding.wait(false);  // the writer is at its COMMIT, its transaction open
    // While it holds its transaction open, readers see the log up to the last commit, no more.
    CHECK(reader->head_position() == head);
    CHECK(reader->read_all(head + 1, 10).events.empty());
    CHECK_FALSE(reader->wait_for(head + 1, 100ms));
    gate_open = true;
    gate_open.notify_all();
    slow.join();
    gate_open = false;
    holding = false;
    if (abort) {
      CHECK(reader->head_position() == head);
    } else {
      CHECK(reader->wait_for(head + 3, 5s));
      CHECK(reader->read_all(head + 1, 10).events.size() == 3);
    }
    // Either way the next append lands at the next position: no gap is left.
    auto r = f.store().append("after", expected_version::any(), test::make_event());
    CHECK(r.first_position == f.store().head_position());
    CHECK(reader->read_all(1, 1000).events.size() == r.last_position);
  }
}

TEST_CASE("a writer frozen inside its transaction is cut off and the others go on",
          "[postgres][gap_safety]") {
  test::store_fixture f;
  // The frozen writer stops at its COMMIT until the test lets it go on, each time it gets there
  // (twice: once more when it retries on a new connection). Meanwhile the server ends its
  // session after the store's stuck-writer timeout.
  std::atomic<int> frozen_at_commit{0};
  std::atomic<int> released{0};
  detail::store_hooks hooks;
  hooks.before_commit = [&](std::string_view stream) {
    if (stream != "frozen") return;
    int arrival = ++frozen_at_commit;
    frozen_at_commit.notify_all();
    for (int r = released; r < arrival; r = released) released.wait(r);
  };
  std::string uri = f.uri() + "&stuck_writer_timeout_ms=300";
  auto frozen_writer = detail::open_store_with_hooks(uri, {}, hooks);
  auto other_writer = open_store(uri);
  std::atomic<bool> frozen_done{false};
  std::atomic<bool> frozen_cut_off{false};
  // No Catch2 assertion off the main thread: Catch2 v2 is not thread-safe.
  std::thread frozen([&] {
    try {
      frozen_writer->append("frozen", expected_version::any(), test::make_event());
    } catch (const io_error&) {
      frozen_cut_off = true;
    }
    frozen_done = true;
  });
  // Each time the frozen writer holds the head row at its COMMIT, an append by another writer
  // queues behind it and goes through once the server has ended the frozen session; only then
  // is the frozen writer let go, to find its connection gone.
  std::vector<append_result> others;
  for (int arrival = 1; arrival <= 2; ++arrival) {
    for (int seen = frozen_at_commit; seen < arrival; seen = frozen_at_commit) {
      frozen_at_commit.wait(seen);
    }
    others.push_back(other_writer->append("other", expected_version::any(), test::make_event()));
    CHECK_FALSE(frozen_done);
    released = arrival;
    released.notify_all();
  }
  frozen.join();
  CHECK(frozen_cut_off);
  CHECK(frozen_at_commit == 2);
  CHECK(others[0].first_position == 1);
  CHECK(others[1].first_position == 2);
  CHECK(f.store().stream_version("frozen") == 0);
  CHECK(f.store().read_all(1, 10).events.size() == 2);
}

}  // namespace annal
