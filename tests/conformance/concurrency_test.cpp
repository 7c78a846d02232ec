// Conformance: concurrent appenders and readers keep positions gapless and batches whole.
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <thread>

#include "annal/error.hpp"
#include "annal/verify.hpp"
#include "support/store_fixture.hpp"

using namespace annal;
using annal::test::make_events;
using annal::test::store_fixture;

TEST_CASE("concurrent appenders produce a gapless log with whole batches", "[concurrency]") {
  store_fixture f;
  auto& s = f.store();
  constexpr int threads = 8;
  constexpr int batches = 60;
  std::atomic<bool> stop_readers{false};
  std::atomic<int> reader_failures{0};

  // Readers check that every read sees a prefix of the log with no gaps and no half batch.
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!stop_readers.load()) {
        auto slice = s.read_all(1, unlimited);
        std::map<std::string, std::uint64_t> seen;
        for (std::size_t i = 0; i < slice.events.size(); ++i) {
          const auto& e = slice.events[i];
          if (e.position != i + 1) ++reader_failures;
          if (e.stream_version != ++seen[e.stream_id]) ++reader_failures;
        }
        // Each batch has 3 events in a private stream: a visible batch is visible whole.
        for (const auto& [stream, count] : seen) {
          if (stream != "shared" && count % 3 != 0) ++reader_failures;
        }
      }
    });
  }
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&, t] {
      for (int b = 0; b < batches; ++b) {
        s.append("own-" + std::to_string(t), expected_version::any(), make_events(3));
        s.append("shared", expected_version::any(), make_events(1));
      }
    });
  }
  for (auto& w : writers) w.join();
  stop_readers = true;
  for (auto& r : readers) r.join();

  CHECK(reader_failures == 0);
  const std::uint64_t total = threads * batches * 4;
  CHECK(s.head_position() == total);
  auto all = s.read_all(1, unlimited).events;
  REQUIRE(all.size() == total);
  std::set<uuid> ids;
  for (std::size_t i = 0; i < all.size(); ++i) {
    CHECK(all[i].position == i + 1);
    ids.insert(all[i].id);
  }
  CHECK(ids.size() == total);
  CHECK(s.stream_version("shared") == threads * batches);
  for (int t = 0; t < threads; ++t) {
    CHECK(s.stream_version("own-" + std::to_string(t)) == batches * 3);
  }
}

TEST_CASE("racing exact appends: exactly one wins each version", "[concurrency]") {
  store_fixture f;
  auto& s = f.store();
  constexpr int threads = 8;
  constexpr int rounds = 30;
  std::atomic<int> wins{0};
  std::atomic<int> conflicts{0};
  std::atomic<int> stale_actual_versions{0};  // Catch2 assertions are not thread-safe
  std::vector<std::thread> racers;
  for (int t = 0; t < threads; ++t) {
    racers.emplace_back([&] {
      for (int r = 0; r < rounds; ++r) {
        for (;;) {
          std::uint64_t version = s.stream_version("race");
          try {
            s.append("race", expected_version::exact(version), make_events(1));
            ++wins;
            break;
          } catch (const wrong_expected_version& e) {
            if (e.actual_version() <= version) ++stale_actual_versions;
            ++conflicts;
          }
        }
      }
    });
  }
  for (auto& r : racers) r.join();
  CHECK(stale_actual_versions == 0);
  CHECK(wins == threads * rounds);
  CHECK(s.stream_version("race") == threads * rounds);
  auto events = s.read_stream("race");
  for (std::size_t i = 0; i < events.size(); ++i) CHECK(events[i].stream_version == i + 1);
}

TEST_CASE("every batch acknowledged by concurrent appenders is still a retry after a reopen, and "
          "the store verifies clean",
          "[concurrency]") {
  // With tiny segments (conformance-segment-small) commit groups of several threads' batches are
  // cut by segment rolls: the ids of every batch must reach its segment's index all the same.
  store_fixture f;
  auto& s = f.store();
  constexpr int threads = 8;
  constexpr int batches = 40;
  struct acknowledged {
    std::string stream;
    expected_version expected = expected_version::any();
    std::vector<event_data> events;
    append_result result;
  };
  std::vector<std::vector<acknowledged>> done(threads);
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&, t] {
      for (int b = 0; b < batches; ++b) {
        acknowledged a;
        a.stream = "s-" + std::to_string(t) + "-" + std::to_string(b % 3);
        a.expected = b < 3 ? expected_version::no_stream() : expected_version::any();
        a.events = make_events(static_cast<std::size_t>(1 + (b + t) % 3));
        a.result = s.append(a.stream, a.expected, a.events);
        done[static_cast<std::size_t>(t)].push_back(std::move(a));
      }
    });
  }
  for (auto& w : writers) w.join();
  std::uint64_t head = s.head_position();
  auto& reopened = f.reopen();
  int written_again = 0;
  int wrong_result = 0;
  for (const auto& thread : done) {
    for (const auto& a : thread) {
      auto retry = reopened.append(a.stream, a.expected, a.events);
      if (retry.written) ++written_again;
      if (retry.first_position != a.result.first_position ||
          retry.last_position != a.result.last_position ||
          retry.next_expected_version != a.result.next_expected_version) {
        ++wrong_result;
      }
    }
  }
  CHECK(written_again == 0);
  CHECK(wrong_result == 0);
  CHECK(reopened.head_position() == head);
  reopened.close();
  auto report = verify_store(f.uri());
  INFO((report.problems.empty() ? std::string() : report.problems.front().message));
  CHECK(report.ok());
}
