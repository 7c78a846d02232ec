// Real-process kill test: a child scavenges and is killed with SIGKILL at a random moment; each
// stream must be erased whole or not at all (one batch each: one transaction, or one segment
// file), nothing else may change, and a second scavenge finishes the work.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include "annal/open_store.hpp"
#include "annal/store_admin.hpp"
#include "annal/verify.hpp"
#include "support/process.hpp"
#include "support/store_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace annal;

namespace {

constexpr int streams = 30;
constexpr int events_per_stream = 40;

std::string stream_of(int s) { return "s-" + std::to_string(s); }
bool deleted(int s) { return s % 2 == 0; }

// Every stream's events in order; the even streams deleted.
void fill(const std::string& uri) {
  auto store = open_store(uri);
  for (int s = 0; s < streams; ++s) {
    store->append(stream_of(s), expected_version::no_stream(),
                  test::make_events(events_per_stream));
    if (deleted(s)) store->delete_stream(stream_of(s), expected_version::any());
  }
  // Seals the segment log's segments that hold the streams (a scavenge leaves the active one).
  for (int i = 0; i < 10; ++i) {
    store->append("filler", expected_version::any(), test::make_events(10));
  }
}

// How many of each stream's first events_per_stream events are erased; throws on anything else.
std::vector<int> erased_per_stream(event_store& store, const std::vector<recorded_event>& before) {
  std::vector<int> erased(streams, 0);
  auto after = store.read_all(1, before.size() + 1).events;
  REQUIRE(after.size() == before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    const auto& was = before[i];
    const auto& is = after[i];
    REQUIRE(is.id == was.id);
    REQUIRE(is.position == was.position);
    if (is.type == "$erased") {
      REQUIRE(was.stream_id.starts_with("s-"));
      int s = std::stoi(was.stream_id.substr(2));
      REQUIRE(deleted(s));
      ++erased[static_cast<std::size_t>(s)];
    } else {
      REQUIRE(is == was);
    }
  }
  return erased;
}

}  // namespace

TEST_CASE("SIGKILL during a scavenge leaves each stream erased whole or not at all",
          "[scavenge][kill]") {
  const int rounds =
      std::getenv("ANNAL_KILL_ROUNDS") ? std::atoi(std::getenv("ANNAL_KILL_ROUNDS")) : 12;
  std::mt19937 random(20261207);
  int interrupted = 0;
  for (int round = 0; round < rounds; ++round) {
    CAPTURE(round);
    test::temp_dir dir;
    std::string uri = test::backend_uri(dir);
    {
      test::process filler([&](test::process&) { fill(uri); });
      REQUIRE(filler.wait() == 0);
    }
    std::vector<recorded_event> before;
    {
      // Closed before the fork: no connection crosses it.
      auto store = open_store(uri);
      before = store->read_all(1, 100000).events;
    }
    {
      test::process scavenger([&](test::process& p) {
        auto store = open_store(uri);
        p.hand_over();
        scavenge(*store);
        p.hand_over();
        std::this_thread::sleep_for(std::chrono::hours(1));
      });
      REQUIRE(scavenger.wait_turn());
      std::this_thread::sleep_for(std::chrono::microseconds(random() % 30000));
      scavenger.kill();
    }
    auto store = open_store(uri);
    auto erased = erased_per_stream(*store, before);
    bool partial_scavenge = false;
    for (int s = 0; s < streams; ++s) {
      CAPTURE(s);
      int count = erased[static_cast<std::size_t>(s)];
      CHECK((count == 0 || count == events_per_stream));
      if (deleted(s) && count == 0) partial_scavenge = true;
    }
    if (partial_scavenge) ++interrupted;
    scavenge(*store);
    for (int count : erased_per_stream(*store, before)) {
      CHECK((count == 0 || count == events_per_stream));
    }
    for (int s = 0; s < streams; s += 2) {
      CHECK(erased_per_stream(*store, before)[static_cast<std::size_t>(s)] == events_per_stream);
    }
    store.reset();
    if (test::backend_under_test() != "postgres") CHECK(verify_store(uri).ok());
    if (test::backend_under_test() == "postgres") test::drop_postgres_schema(uri);
  }
  // The kills must land inside scavenges, not only before or after them.
  CHECK(interrupted > 0);
}
