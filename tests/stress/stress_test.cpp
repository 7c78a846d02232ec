// Concurrency stress: appenders racing on overlapping streams with expected versions, readers of
// the log and of single streams, and a follower folding the log into a read model; invariants
// are checked at the end.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "annal/error.hpp"
#include "support/store_fixture.hpp"

using namespace annal;
using annal::test::make_events;
using annal::test::store_fixture;

namespace {

constexpr int appenders = 6;
constexpr int streams = 4;

// One acknowledged append, as its writer saw it.
struct acknowledged {
  std::string stream;
  std::vector<uuid> ids;
  append_result result;
};

// A read model folded from the log the way a projection would: per stream, the event count
// and the last version, plus the position it has handled up to (its checkpoint).
struct read_model {
  std::map<std::string, std::uint64_t> events;
  std::map<std::string, std::uint64_t> last_version;
  std::uint64_t checkpoint = 0;

  void handle(const recorded_event& e) {
    ++events[e.stream_id];
    last_version[e.stream_id] = e.stream_version;
    checkpoint = e.position;
  }
  bool operator==(const read_model&) const = default;
};

std::size_t operations_per_appender() {
  const char* value = std::getenv("ANNAL_STRESS_OPERATIONS");
  return value != nullptr && *value != '\0' ? std::strtoull(value, nullptr, 10) : 250;
}

}  // namespace

TEST_CASE("racing appenders, readers and a follower keep every invariant", "[stress]") {
  store_fixture f;
  auto& s = f.store();
  const std::size_t operations = operations_per_appender();
  std::atomic<bool> appending{true};
  // Catch2 assertions are not thread-safe: threads count violations, checked at the end.
  std::atomic<int> violations{0};
  std::atomic<std::uint64_t> conflicts{0};
  std::atomic<std::uint64_t> reads{0};
  std::vector<std::vector<acknowledged>> acks(appenders);

  std::vector<std::thread> threads;
  for (int t = 0; t < appenders; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(static_cast<unsigned>(t));
      std::map<std::string, std::uint64_t> known;  // the version this writer last saw
      for (std::size_t op = 0; op < operations; ++op) {
        std::string stream = "stream-" + std::to_string(random() % streams);
        auto batch = make_events(1 + random() % 3);
        for (;;) {
          try {
            auto result = s.append(stream, expected_version::exact(known[stream]), batch);
            if (result.next_expected_version != known[stream] + batch.size()) ++violations;
            known[stream] = result.next_expected_version;
            acknowledged a{stream, {}, result};
            for (const auto& e : batch) a.ids.push_back(e.id);
            acks[t].push_back(std::move(a));
            break;
          } catch (const wrong_expected_version& e) {
            if (e.actual_version() == known[stream]) ++violations;  // a conflict must be real
            known[stream] = e.actual_version();
            ++conflicts;
          }
        }
      }
    });
  }
  // Readers of the whole log: every read is a gapless prefix with whole batches.
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&] {
      while (appending.load()) {
        auto slice = s.read_all(1, unlimited);
        std::map<std::string, std::uint64_t> seen;
        for (std::size_t i = 0; i < slice.events.size(); ++i) {
          const auto& e = slice.events[i];
          if (e.position != i + 1 || e.stream_version != ++seen[e.stream_id]) ++violations;
        }
        if (!slice.end_of_log) ++violations;
        ++reads;
      }
    });
  }
  // Readers of single streams, forward and backward.
  threads.emplace_back([&] {
    std::mt19937 random(99);
    while (appending.load()) {
      std::string stream = "stream-" + std::to_string(random() % streams);
      auto forward = s.read_stream(stream);
      for (std::size_t i = 0; i < forward.size(); ++i) {
        if (forward[i].stream_version != i + 1) ++violations;
        if (i > 0 && forward[i].position <= forward[i - 1].position) ++violations;
      }
      auto backward = s.read_stream(stream, end_of_stream, read_direction::backward, 10);
      // Read later, the stream is at least as long.
      if (!forward.empty() &&
          (backward.empty() || backward.front().stream_version < forward.size())) {
        ++violations;
      }
      for (std::size_t i = 1; i < backward.size(); ++i) {
        if (backward[i].stream_version + 1 != backward[i - 1].stream_version) ++violations;
      }
      ++reads;
    }
  });
  // A follower: reads from its checkpoint in pages, as a projection runner does.
  read_model model;
  threads.emplace_back([&] {
    for (;;) {
      bool last_round = !appending.load();
      log_slice slice = s.read_all(model.checkpoint + 1, 64);
      for (const auto& e : slice.events) {
        if (e.position != model.checkpoint + 1) ++violations;
        model.handle(e);
      }
      if (slice.end_of_log && last_round) break;
      if (slice.events.empty()) s.wait_for(model.checkpoint + 1, std::chrono::milliseconds(5));
    }
  });
  for (int t = 0; t < appenders; ++t) threads[t].join();
  appending = false;
  for (std::size_t t = appenders; t < threads.size(); ++t) threads[t].join();

  CHECK(violations == 0);
  auto all = s.read_all(1, unlimited).events;
  read_model from_log;
  std::map<uuid, std::uint64_t> position_of;
  std::map<std::string, std::uint64_t> versions;
  for (std::size_t i = 0; i < all.size(); ++i) {
    REQUIRE(all[i].position == i + 1);
    REQUIRE(all[i].stream_version == ++versions[all[i].stream_id]);
    REQUIRE(position_of.emplace(all[i].id, all[i].position).second);
    from_log.handle(all[i]);
  }
  // Every acknowledged event is in the log exactly once, where its append said, and nothing
  // else is.
  std::size_t acknowledged_events = 0;
  for (const auto& per_thread : acks) {
    for (const auto& a : per_thread) {
      for (std::size_t k = 0; k < a.ids.size(); ++k) {
        REQUIRE(position_of.count(a.ids[k]) == 1);
        REQUIRE(position_of[a.ids[k]] == a.result.first_position + k);
        REQUIRE(all[position_of[a.ids[k]] - 1].stream_id == a.stream);
      }
      acknowledged_events += a.ids.size();
    }
  }
  REQUIRE(acknowledged_events == all.size());
  CHECK(model == from_log);
  std::cout << "stress (" << test::backend_under_test() << "): " << appenders * operations
            << " appends, " << conflicts << " conflicts retried, " << reads << " concurrent reads, "
            << all.size() << " events checked\n";
}
