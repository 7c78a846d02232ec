// Conformance: soft deletion, tombstones, truncation, max-count and max-age, on every backend.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "annal/error.hpp"
#include "annal/repository.hpp"
#include "annal/store_admin.hpp"
#include "annal/system_events.hpp"
#include "core/event_digest.hpp"
#include "support/eventually.hpp"
#include "support/store_fixture.hpp"

using namespace annal;
using annal::test::make_events;
using annal::test::store_fixture;

namespace {

using namespace std::chrono_literals;

std::vector<std::uint64_t> versions_of(const std::vector<recorded_event>& events) {
  std::vector<std::uint64_t> versions;
  for (const auto& e : events) versions.push_back(e.stream_version);
  return versions;
}

std::vector<std::uint64_t> forward(event_store& s, std::string_view stream, std::uint64_t from = 1,
                                   std::size_t max_count = unlimited) {
  return versions_of(s.read_stream(stream, from, read_direction::forward, max_count));
}

std::vector<std::uint64_t> backward(event_store& s, std::string_view stream,
                                    std::size_t max_count = unlimited) {
  return versions_of(s.read_stream(stream, end_of_stream, read_direction::backward, max_count));
}

// One event as another tool would have copied it: the given type, at the next place of the log.
recorded_event copied(event_store& s, std::string stream, std::string type,
                      std::chrono::system_clock::time_point at) {
  recorded_event e;
  e.position = s.head_position() + 1;
  e.stream_version = s.stream_version(stream) + 1;
  e.stream_id = std::move(stream);
  e.type = std::move(type);
  e.id = uuid::v7();
  e.timestamp = at;
  e.payload = "{}";
  return e;
}

void expect_tombstone_holds(event_store& s, std::string_view stream) {
  CHECK_THROWS_AS(s.read_stream(stream), stream_deleted);
  CHECK_THROWS_AS(s.append(stream, expected_version::any(), make_events(1)), stream_deleted);
  CHECK_THROWS_AS(s.append(stream, expected_version::no_stream(), make_events(1)), stream_deleted);
  CHECK_THROWS_AS(
      s.append(stream, expected_version::exact(s.stream_version(stream)), make_events(1)),
      stream_deleted);
  CHECK_THROWS_AS(s.set_stream_metadata(stream, {}), stream_deleted);
  CHECK_THROWS_AS(s.delete_stream(stream, expected_version::any()), stream_deleted);
  CHECK(s.read_stream_state(stream).deleted());
}

}  // namespace

TEST_CASE("a soft-deleted stream reads as empty, keeps its positions and can be recreated",
          "[lifecycle]") {
  store_fixture f;
  auto& s = f.store();
  s.append("order-1", expected_version::no_stream(), make_events(3));
  s.append("other", expected_version::no_stream(), make_events(1));
  auto deleted = s.delete_stream("order-1", expected_version::exact(3), deletion::soft, "GDPR");
  CHECK(deleted.written);
  CHECK(deleted.next_expected_version == 4);
  CHECK(forward(s, "order-1").empty());
  CHECK(backward(s, "order-1").empty());
  auto state = s.read_stream_state("order-1");
  CHECK(state.deleted());
  CHECK_FALSE(state.tombstoned);
  CHECK(state.deleted_at == 4);
  CHECK(state.version == 4);
  CHECK(state.metadata_version == 1);
  CHECK(s.stream_version("order-1") == 4);

  // The global log keeps every position, the deletion event among them, and the metadata.
  auto log = s.read_all(1, 100);
  REQUIRE(log.events.size() == 6);
  CHECK(log.events[4].type == stream_deleted_event::type);
  CHECK(log.events[4].stream_id == "order-1");
  CHECK(log.events[4].payload == R"({"reason":"GDPR"})");
  CHECK(log.events[5].stream_id == "$$order-1");

  // Deleting again changes nothing.
  auto again = s.delete_stream("order-1", expected_version::any());
  CHECK_FALSE(again.written);
  CHECK(again.first_position == deleted.first_position);
  CHECK(s.head_position() == 6);

  // "No stream" recreates it; versions continue, the old events stay hidden.
  auto recreated = s.append("order-1", expected_version::no_stream(), make_events(2));
  CHECK(recreated.next_expected_version == 6);
  CHECK(forward(s, "order-1") == std::vector<std::uint64_t>{5, 6});
  CHECK(backward(s, "order-1") == std::vector<std::uint64_t>{6, 5});
  CHECK(forward(s, "order-1", 1, 1) == std::vector<std::uint64_t>{5});
  CHECK_FALSE(s.read_stream_state("order-1").deleted());
  CHECK_THROWS_AS(s.append("order-1", expected_version::no_stream(), make_events(1)),
                  wrong_expected_version);
  // A retry of the recreating append is recognised as one.
  CHECK(forward(f.reopen(), "order-1") == std::vector<std::uint64_t>{5, 6});
}

TEST_CASE("a tombstone refuses every append and read, also after a reopen", "[lifecycle]") {
  store_fixture f;
  auto& s = f.store();
  s.append("gone", expected_version::no_stream(), make_events(2));
  auto r = s.delete_stream("gone", expected_version::any(), deletion::hard);
  CHECK(r.next_expected_version == 3);
  CHECK(s.read_all(3, 1).events.at(0).type == stream_tombstoned_event::type);
  std::uint64_t head = s.head_position();
  expect_tombstone_holds(s, "gone");
  CHECK(s.head_position() == head);
  auto& reopened = f.reopen();
  expect_tombstone_holds(reopened, "gone");
  CHECK(reopened.head_position() == head);
  // Another stream is untouched.
  reopened.append("kept", expected_version::no_stream(), make_events(1));
  CHECK(forward(reopened, "kept") == std::vector<std::uint64_t>{1});
}

TEST_CASE("a soft-deleted stream can still be tombstoned", "[lifecycle]") {
  store_fixture f;
  auto& s = f.store();
  s.append("s", expected_version::no_stream(), make_events(1));
  s.delete_stream("s", expected_version::any());
  s.delete_stream("s", expected_version::exact(2), deletion::hard);
  expect_tombstone_holds(s, "s");
}

TEST_CASE("deleting a missing stream or at a wrong version is refused and writes nothing",
          "[lifecycle]") {
  store_fixture f;
  auto& s = f.store();
  CHECK_THROWS_AS(s.delete_stream("missing", expected_version::any()), stream_not_found);
  s.append("s", expected_version::no_stream(), make_events(2));
  CHECK_THROWS_AS(s.delete_stream("s", expected_version::exact(1)), wrong_expected_version);
  CHECK_THROWS_AS(s.delete_stream("s", expected_version::exact(1), deletion::hard),
                  wrong_expected_version);
  CHECK_THROWS_AS(
      s.delete_stream("s", expected_version::any(), deletion::soft, std::string(2000, 'x')),
      invalid_argument);
  CHECK_THROWS_AS(s.delete_stream("$$s", expected_version::any()), invalid_argument);
  CHECK(s.head_position() == 2);
  CHECK(forward(s, "s") == std::vector<std::uint64_t>{1, 2});
}

TEST_CASE("truncate-before hides earlier versions; its metadata is versioned", "[lifecycle]") {
  store_fixture f;
  auto& s = f.store();
  s.append("s", expected_version::no_stream(), make_events(5));
  CHECK(s.set_stream_metadata("s", {.truncate_before = 3}, expected_version::no_stream()) == 1);
  CHECK(forward(s, "s") == std::vector<std::uint64_t>{3, 4, 5});
  CHECK(forward(s, "s", 1, 2) == std::vector<std::uint64_t>{3, 4});
  CHECK(forward(s, "s", 4) == std::vector<std::uint64_t>{4, 5});
  CHECK(backward(s, "s") == std::vector<std::uint64_t>{5, 4, 3});
  auto state = s.read_stream_state("s");
  CHECK(state.metadata.truncate_before == 3);
  CHECK(state.metadata_version == 1);
  CHECK(state.version == 5);
  CHECK_FALSE(state.deleted());
  // The metadata's own expected version.
  CHECK_THROWS_AS(s.set_stream_metadata("s", {.truncate_before = 4}, expected_version::exact(0)),
                  wrong_expected_version);
  CHECK(s.set_stream_metadata("s", {.truncate_before = 6}, expected_version::exact(1)) == 2);
  CHECK(forward(s, "s").empty());
  // Past the end is refused; the stream's appends go on, and the new ones are visible.
  CHECK_THROWS_AS(s.set_stream_metadata("s", {.truncate_before = 7}), invalid_argument);
  CHECK_THROWS_AS(s.set_stream_metadata("s", {.max_count = 0}), invalid_argument);
  CHECK_THROWS_AS(s.set_stream_metadata("s", {.max_age = 0s}), invalid_argument);
  s.append("s", expected_version::exact(5), make_events(1));
  CHECK(forward(f.reopen(), "s") == std::vector<std::uint64_t>{6});
}

TEST_CASE("max-count keeps the last events visible as the stream grows", "[lifecycle]") {
  store_fixture f;
  auto& s = f.store();
  s.set_stream_metadata("log", {.max_count = 2});
  s.append("log", expected_version::no_stream(), make_events(3));
  CHECK(forward(s, "log") == std::vector<std::uint64_t>{2, 3});
  s.append("log", expected_version::exact(3), make_events(2));
  CHECK(forward(s, "log") == std::vector<std::uint64_t>{4, 5});
  CHECK(backward(s, "log", 5) == std::vector<std::uint64_t>{5, 4});
  CHECK(s.read_stream_state("log").first_visible_version() == 4);
}

TEST_CASE("max-age hides events recorded longer ago", "[lifecycle]") {
  store_fixture f;
  auto& s = f.store();
  auto old = std::chrono::system_clock::now() - 2h;
  for (int i = 0; i < 3; ++i) {
    auto e = copied(s, "metrics", "test.happened", old);
    append_recorded(s, std::span<const recorded_event>(&e, 1));
  }
  s.append("metrics", expected_version::exact(3), make_events(2));
  s.set_stream_metadata("metrics", {.max_age = 1h});
  CHECK(forward(s, "metrics") == std::vector<std::uint64_t>{4, 5});
  CHECK(forward(s, "metrics", 1, 1) == std::vector<std::uint64_t>{4});
  CHECK(backward(s, "metrics") == std::vector<std::uint64_t>{5, 4});
  s.set_stream_metadata("metrics", {.max_age = 24h});
  CHECK(forward(s, "metrics").size() == 5);
}

TEST_CASE("a stream whose events are all hidden is recreated by a no-stream append",
          "[lifecycle]") {
  store_fixture f;
  auto& s = f.store();
  s.append("s", expected_version::no_stream(), make_events(2));
  s.set_stream_metadata("s", {.truncate_before = 3});
  CHECK(s.append("s", expected_version::exact(0), make_events(1)).next_expected_version == 3);
  CHECK(forward(s, "s") == std::vector<std::uint64_t>{3});
}

TEST_CASE("metadata streams and system event types are annal's own", "[lifecycle]") {
  store_fixture f;
  auto& s = f.store();
  CHECK_THROWS_AS(s.append("$$s", expected_version::any(), make_events(1)), invalid_argument);
  CHECK_THROWS_AS(s.append("s", expected_version::any(), make_events(1, "$stream_deleted")),
                  invalid_argument);
  CHECK_THROWS_AS(s.set_stream_metadata("$$s", {}), invalid_argument);
  CHECK_THROWS_AS(s.read_stream_state("$$s"), invalid_argument);
  CHECK(s.head_position() == 0);
  // A metadata stream is readable like any other, and a 256-byte stream id has one.
  std::string longest(max_stream_id_size, 'x');
  s.append(longest, expected_version::no_stream(), make_events(1));
  s.set_stream_metadata(longest, {.truncate_before = 2});
  CHECK(s.read_stream(std::string(metadata_stream_prefix) + longest).size() == 1);
  CHECK(forward(s, longest).empty());
}

TEST_CASE("a deletion event whose metadata a crash lost still hides the stream", "[lifecycle]") {
  store_fixture f;
  auto& s = f.store();
  s.append("soft", expected_version::no_stream(), make_events(2));
  auto marker =
      copied(s, "soft", std::string(stream_deleted_event::type), std::chrono::system_clock::now());
  append_recorded(s, std::span<const recorded_event>(&marker, 1));
  CHECK(forward(s, "soft").empty());
  CHECK(backward(s, "soft").empty());
  // Deleting again records what the crash lost.
  CHECK_FALSE(s.delete_stream("soft", expected_version::any()).written);
  CHECK(s.read_stream_state("soft").deleted_at == 3);

  s.append("hard", expected_version::no_stream(), make_events(2));
  auto tombstone = copied(s, "hard", std::string(stream_tombstoned_event::type),
                          std::chrono::system_clock::now());
  append_recorded(s, std::span<const recorded_event>(&tombstone, 1));
  CHECK_THROWS_AS(s.read_stream("hard"), stream_deleted);
  CHECK_THROWS_AS(s.append("hard", expected_version::any(), make_events(1)), stream_deleted);
  CHECK_FALSE(s.read_stream_state("hard").tombstoned);
  CHECK_THROWS_AS(s.delete_stream("hard", expected_version::any(), deletion::hard), stream_deleted);
  expect_tombstone_holds(s, "hard");
  // A copy cannot append past a tombstone either.
  auto after = copied(s, "hard", "test.happened", std::chrono::system_clock::now());
  CHECK_THROWS_AS(append_recorded(s, std::span<const recorded_event>(&after, 1)), stream_deleted);
}

namespace counter {

struct incremented {
  static constexpr std::string_view type = "counter.incremented";
  int by = 0;
};
using event = std::variant<incremented>;
struct state {
  int total = 0;
  friend bool operator==(const state&, const state&) = default;
};
inline state apply(state s, const incremented& e) {
  s.total += e.by;
  return s;
}

using repository = annal::repository<state, event>;

// A repository of counters on `store` with a snapshot every `every` events, and counter "a"
// incremented by 1 `times` times, one update each.
repository with_increments(event_store& store, std::uint64_t every, int times) {
  repository_options options;
  options.snapshot_every = every;
  options.on_warning = [](const std::string&) {};
  repository counters(store, "counter", options);
  for (int i = 0; i < times; ++i) {
    counters.update("a", [](const state&) { return std::vector<event>{incremented{1}}; });
  }
  return counters;
}

}  // namespace counter

TEST_CASE("an aggregate deleted, truncated or recreated loads what is visible, snapshots too",
          "[lifecycle]") {
  store_fixture f;
  auto counters = counter::with_increments(f.store(), 2, 4);
  REQUIRE(counters.load("a").state.total == 4);
  REQUIRE(counters.stats().written > 0);
  f.store().delete_stream("counter-a", expected_version::any());
  auto loaded = counters.load("a");
  CHECK(loaded.state.total == 0);
  CHECK(loaded.version == 0);
  CHECK_THROWS_AS(counters.get("a"), stream_not_found);
  counters.update("a", [](const counter::state&) {
    return std::vector<counter::event>{counter::incremented{10}};
  });
  CHECK(counters.load("a").state.total == 10);
  CHECK(counters.load("a").version == 6);
}

TEST_CASE("a scavenge erases what metadata hides and keeps places, ids and deletion events",
          "[lifecycle][scavenge]") {
  store_fixture f;
  auto& s = f.store();
  s.append("gone", expected_version::no_stream(), make_events(3));
  s.append("cut", expected_version::no_stream(), make_events(5));
  s.append("kept", expected_version::no_stream(), make_events(2));
  s.delete_stream("gone", expected_version::exact(3), deletion::soft, "asked");
  s.set_stream_metadata("cut", {.truncate_before = 3});
  auto before = s.read_all(1, 100).events;

  scavenge_options dry;
  dry.dry_run = true;
  std::vector<std::uint64_t> progress;
  dry.on_progress = [&](const scavenge_report& r) { progress.push_back(r.events_erased); };
  auto planned = scavenge(s, dry);
  CHECK(planned.dry_run);
  CHECK(planned.streams_examined == 2);
  CHECK(planned.events_erased == 5);
  CHECK(planned.bytes_erased > 0);
  CHECK(progress.size() == 2);
  CHECK(s.read_all(1, 100).events == before);

  // On the segment log the events of the active segment wait for a later scavenge; this test's
  // filler seals the segments of the small-segment suite, so that both cases are met.
  bool segment = test::backend_under_test() == "segment";
  for (int i = 0; i < 40; ++i) s.append("filler", expected_version::any(), make_events(1));
  before = s.read_all(1, 100).events;
  auto done = scavenge(s);
  CHECK(done.events_erased + done.events_deferred == 5);
  if (!segment) CHECK(done.events_deferred == 0);
  if (done.events_deferred == 0) CHECK(done.bytes_erased == planned.bytes_erased);
  // Each hidden event is erased, or on the segment log still in its active segment.
  auto check_erased = [&](event_store& store) {
    std::uint64_t erased = 0;
    auto after = store.read_all(1, 100).events;
    REQUIRE(after.size() == before.size());
    for (std::size_t i = 0; i < after.size(); ++i) {
      const auto& was = before[i];
      const auto& is = after[i];
      CAPTURE(i, was.stream_id, was.stream_version);
      CHECK(is.position == was.position);
      CHECK(is.stream_id == was.stream_id);
      CHECK(is.stream_version == was.stream_version);
      CHECK(is.id == was.id);
      CHECK(is.timestamp == was.timestamp);
      bool hidden = (was.stream_id == "gone" && was.stream_version <= 3) ||
                    (was.stream_id == "cut" && was.stream_version < 3);
      if (hidden && (!segment || is.type == "$erased")) {
        ++erased;
        CHECK(is.type == "$erased");
        // What it was, and its digest, which keeps the log's chain whole without the payload.
        if (was.type == "$erased") {
          CHECK(is.payload == was.payload);
        } else {
          CHECK(is.payload == R"({"content_digest":")" +
                                  detail::to_hex(detail::content_digest(was)) +
                                  R"(","type":"test.happened","version":1})");
        }
        CHECK(is.metadata == event_metadata{});
        CHECK(is.type_version == 1);
      } else {
        CHECK(is == was);
      }
    }
    CHECK(erased == done.events_erased);
  };
  check_erased(s);
  CHECK(scavenge(s).events_erased == 0);
  // The streams read as before, and the deleted one is recreated as usual.
  CHECK(forward(s, "cut") == std::vector<std::uint64_t>{3, 4, 5});
  CHECK(s.append("gone", expected_version::no_stream(), make_events(1)).next_expected_version == 5);
  CHECK(forward(s, "gone") == std::vector<std::uint64_t>{5});
  before = s.read_all(1, 100).events;
  check_erased(f.reopen());
}

TEST_CASE("a scavenge erases a tombstoned stream's events and expired ones, not the tombstone",
          "[lifecycle][scavenge]") {
  store_fixture f;
  auto& s = f.store();
  s.append("t", expected_version::no_stream(), make_events(2));
  s.delete_stream("t", expected_version::any(), deletion::hard);
  auto old = std::chrono::system_clock::now() - 2h;
  auto e = copied(s, "m", "test.happened", old);
  append_recorded(s, std::span<const recorded_event>(&e, 1));
  s.append("m", expected_version::exact(1), make_events(1));
  s.set_stream_metadata("m", {.max_age = 1h});
  scavenge_options dry;
  dry.dry_run = true;
  CHECK(scavenge(s, dry).events_erased == 3);
  for (int i = 0; i < 40; ++i) s.append("filler", expected_version::any(), make_events(1));
  auto done = scavenge(s);
  CHECK(done.events_erased + done.events_deferred == 3);
  if (done.events_deferred > 0) return;  // the segment log's active segment
  CHECK(done.events_erased == 3);
  auto log = s.read_all(1, 100).events;
  CHECK(log[0].type == "$erased");
  CHECK(log[1].type == "$erased");
  CHECK(log[2].type == stream_tombstoned_event::type);
  CHECK(log[4].type == "$erased");
  CHECK(log[5].type == "test.happened");
  expect_tombstone_holds(s, "t");
  CHECK(forward(s, "m") == std::vector<std::uint64_t>{2});
}

TEST_CASE("truncating behind a snapshot keeps the aggregate's state; before it, only what shows",
          "[lifecycle]") {
  store_fixture f;
  auto counters = counter::with_increments(f.store(), 4, 6);
  REQUIRE(counters.stats().written == 1);  // at version 4
  // "Closing the books": hide the events the snapshot covers; the state stays.
  f.store().set_stream_metadata("counter-a", {.truncate_before = 5});
  auto loaded = counters.load("a");
  CHECK(loaded.state.total == 6);
  CHECK(loaded.version == 6);
  // Hiding events the snapshot does not cover makes the aggregate fold only what shows.
  f.store().set_stream_metadata("counter-a", {.truncate_before = 6});
  loaded = counters.load("a");
  CHECK(loaded.state.total == 1);
  CHECK(loaded.version == 6);
}

TEST_CASE("a scavenge runs while appends and reads go on", "[lifecycle][scavenge][concurrency]") {
  store_fixture f;
  auto& s = f.store();
  constexpr int streams = 40;
  constexpr std::size_t per_stream = 15;
  auto stream_of = [](int k) { return "c-" + std::to_string(k); };
  // About 90 KB: the segment log's suites seal segments, which the scavenge then rewrites.
  for (int k = 0; k < streams; ++k) {
    s.append(stream_of(k), expected_version::no_stream(), test::make_padded_events(per_stream));
  }
  for (int k = 0; k < streams; k += 2) s.delete_stream(stream_of(k), expected_version::any());
  std::vector<std::vector<recorded_event>> kept;
  for (int k = 1; k < streams; k += 2) kept.push_back(s.read_stream(stream_of(k)));
  std::atomic<bool> stop{false};
  std::atomic<int> appended{0};
  std::atomic<int> reads{0};
  std::thread appender([&] {
    while (!stop) {
      s.append("live", expected_version::any(), test::make_padded_events(1));
      ++appended;
    }
  });
  // Catch2's assertions are for the test's own thread: the reader counts what it saw wrong.
  std::atomic<int> wrong_reads{0};
  std::thread reader([&] {
    while (!stop) {
      for (int k = 1; k < streams; k += 2) {
        if (s.read_stream(stream_of(k)) != kept[static_cast<std::size_t>(k / 2)]) ++wrong_reads;
      }
      ++reads;
    }
  });
  auto report = scavenge(s);
  // Let the threads see the result too.
  CHECK(test::eventually([&] { return reads > 1 && appended > 1; }));
  stop = true;
  appender.join();
  reader.join();
  CHECK(wrong_reads == 0);
  CHECK(report.events_erased + report.events_deferred == streams / 2 * per_stream);
  for (int k = 0; k < streams; k += 2) CHECK(s.read_stream(stream_of(k)).empty());
}
