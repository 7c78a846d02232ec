// The append rule, table-driven: every verdict of decide_append() and decide_recorded_append().
#include "core/append_decision.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "annal/error.hpp"

using namespace annal;
using annal::detail::append_decision;
using annal::detail::decide_append;
using annal::detail::decide_recorded_append;
using annal::detail::event_place;
using verdict = append_decision::verdict;

namespace {

// A log: stream "s" holds a, b, c (one batch, positions 10-12) and d (position 20); stream "t"
// holds x (position 13). n1 and n2 are stored nowhere. Where the ids are is all the rule sees:
// a place may be committed or earlier in the same commit group, alike.
struct fixture {
  std::map<std::string, uuid> ids;
  std::map<uuid, event_place> places;
  int lookups = 0;

  fixture() {
    for (const char* name : {"a", "b", "c", "d", "x", "n1", "n2"}) ids[name] = uuid::v7();
    places[ids["a"]] = {"s", 1, 10};
    places[ids["b"]] = {"s", 2, 11};
    places[ids["c"]] = {"s", 3, 12};
    places[ids["d"]] = {"s", 4, 20};
    places[ids["x"]] = {"t", 1, 13};
  }

  std::vector<event_data> batch(const std::vector<std::string>& names) {
    std::vector<event_data> events;
    for (const auto& n : names)
      events.push_back({ids.at(n), "test.happened", "{}", payload_encoding::json, {}});
    return events;
  }

  append_decision decide(std::string stream, expected_version expected,
                         const std::vector<std::string>& names, std::uint64_t current,
                         bool tombstoned = false) {
    auto events = batch(names);
    return decide_append(stream, expected, events, current, tombstoned,
                         [this](const uuid& id) -> std::optional<event_place> {
                           ++lookups;
                           auto it = places.find(id);
                           if (it == places.end()) return std::nullopt;
                           return it->second;
                         });
  }
};

struct row {
  std::string stream;
  expected_version expected;
  std::vector<std::string> batch;
  verdict outcome;
  append_result stored{};       // for retry
  std::size_t event_index = 0;  // for duplicate_event_id
  std::string place_stream{};   // for duplicate_event_id
  std::uint64_t place_version = 0;
};

}  // namespace

TEST_CASE("decide_append: every verdict of the append rule", "[append_decision]") {
  using ev = expected_version;
  constexpr auto write = verdict::write;
  constexpr auto retry = verdict::retry;
  constexpr auto dup = verdict::duplicate_event_id;
  constexpr auto wrong = verdict::wrong_expected_version;
  // Stream "s" is at version 4 and "t" at 1 when each row is decided.
  const std::vector<row> rows = {
      // New ids: the expected version decides.
      {"s", ev::any(), {"n1"}, write},
      {"s", ev::stream_exists(), {"n1", "n2"}, write},
      {"s", ev::exact(4), {"n1"}, write},
      {"s", ev::exact(3), {"n1"}, wrong},
      {"s", ev::no_stream(), {"n1"}, wrong},
      {"u", ev::no_stream(), {"n1"}, write},
      {"u", ev::exact(0), {"n1"}, write},
      {"u", ev::stream_exists(), {"n1"}, wrong},
      // An exact retry of the stored batch, whatever the stream's version now: the retry wins.
      {"s", ev::exact(0), {"a", "b", "c"}, retry, {10, 12, 3, false}},
      {"s", ev::no_stream(), {"a", "b", "c"}, retry, {10, 12, 3, false}},
      {"s", ev::any(), {"a", "b", "c"}, retry, {10, 12, 3, false}},
      {"s", ev::stream_exists(), {"a", "b", "c"}, retry, {10, 12, 3, false}},
      // Shorter than the stored batch, starting at its start or in its middle.
      {"s", ev::exact(0), {"a", "b"}, retry, {10, 11, 2, false}},
      {"s", ev::exact(1), {"b", "c"}, retry, {11, 12, 3, false}},
      {"s", ev::any(), {"c"}, retry, {12, 12, 3, false}},
      // Across two stored batches: consecutive versions are what count.
      {"s", ev::exact(2), {"c", "d"}, retry, {12, 20, 4, false}},
      // The expected version points elsewhere than where the batch is stored.
      {"s", ev::exact(1), {"a", "b", "c"}, dup, {}, 0, "s", 1},
      {"s", ev::exact(0), {"b", "c"}, dup, {}, 0, "s", 2},
      {"s", ev::no_stream(), {"b"}, dup, {}, 0, "s", 2},
      // Not the stored run: longer, a gap, another order.
      {"s", ev::exact(0), {"a", "b", "c", "n1"}, dup, {}, 0, "s", 1},
      {"s", ev::any(), {"a", "c"}, dup, {}, 0, "s", 1},
      {"s", ev::any(), {"b", "a"}, dup, {}, 0, "s", 2},
      {"s", ev::any(), {"c", "d", "x"}, dup, {}, 0, "s", 3},
      // Stored in another stream.
      {"s", ev::any(), {"x"}, dup, {}, 0, "t", 1},
      {"t", ev::any(), {"a", "b", "c"}, dup, {}, 0, "s", 1},
      // A later id of the batch is stored: a duplicate of the first such, before the version.
      {"s", ev::any(), {"n1", "a"}, dup, {}, 1, "s", 1},
      {"s", ev::exact(9), {"n1", "n2", "x"}, dup, {}, 2, "t", 1},
  };
  for (const auto& r : rows) {
    fixture f;
    std::uint64_t current = r.stream == "s" ? 4 : r.stream == "t" ? 1 : 0;
    auto d = f.decide(r.stream, r.expected, r.batch, current);
    INFO("stream " << r.stream << ", expected " << r.expected.to_string() << ", batch of "
                   << r.batch.size() << " starting " << r.batch.front());
    REQUIRE(d.outcome == r.outcome);
    CHECK(d.current_version == current);
    if (r.outcome == retry) CHECK(d.stored == r.stored);
    if (r.outcome == dup) {
      CHECK(d.event_index == r.event_index);
      CHECK(d.place.stream_id == r.place_stream);
      CHECK(d.place.stream_version == r.place_version);
    }
  }
}

TEST_CASE("decide_append looks up only what the verdict needs", "[append_decision]") {
  fixture f;
  // A new batch: each id once.
  f.decide("s", expected_version::any(), {"n1", "n2"}, 4);
  CHECK(f.lookups == 2);
  // A duplicate first id that is in another stream: no further lookups.
  f.lookups = 0;
  f.decide("s", expected_version::any(), {"x", "n1", "n2"}, 4);
  CHECK(f.lookups == 1);
}

TEST_CASE("enforce throws the error of each refusing verdict", "[append_decision]") {
  fixture f;
  auto events = f.batch({"n1", "a"});
  auto d = f.decide("s", expected_version::any(), {"n1", "a"}, 4);
  try {
    detail::enforce(d, "s", expected_version::any(), events);
    FAIL("accepted");
  } catch (const duplicate_event_id& e) {
    CHECK(e.event_id() == f.ids["a"].to_string());
    CHECK(e.stored_stream_id() == "s");
    CHECK(e.stored_version() == 1);
  }
  auto wrong = f.decide("s", expected_version::exact(2), {"n1"}, 4);
  try {
    detail::enforce(wrong, "s", expected_version::exact(2), f.batch({"n1"}));
    FAIL("accepted");
  } catch (const wrong_expected_version& e) {
    CHECK(e.stream_id() == "s");
    CHECK(e.expected() == "exact(2)");
    CHECK(e.actual_version() == 4);
  }
  auto retry = f.decide("s", expected_version::any(), {"a"}, 4);
  CHECK_NOTHROW(detail::enforce(retry, "s", expected_version::any(), f.batch({"a"})));
}

TEST_CASE("a tombstoned stream refuses every new batch, after the retry and duplicate rules",
          "[append_decision]") {
  fixture f;
  for (auto expected : {expected_version::any(), expected_version::exact(4),
                        expected_version::no_stream(), expected_version::stream_exists()}) {
    auto d = f.decide("s", expected, {"n1"}, 4, true);
    CHECK(d.outcome == verdict::stream_deleted);
    CHECK_THROWS_AS(detail::enforce(d, "s", expected, f.batch({"n1"})), annal::stream_deleted);
  }
  // A retry of a batch stored before the tombstone still answers with where it is.
  CHECK(f.decide("s", expected_version::any(), {"a"}, 4, true).outcome == verdict::retry);
  CHECK(f.decide("s", expected_version::any(), {"x"}, 4, true).outcome ==
        verdict::duplicate_event_id);
}

TEST_CASE("decide_recorded_append: position, then ids, then version; no retry",
          "[append_decision]") {
  fixture f;
  auto recorded = [&](std::vector<std::string> names, std::uint64_t position,
                      std::uint64_t version) {
    std::vector<recorded_event> events;
    for (std::size_t i = 0; i < names.size(); ++i) {
      recorded_event e;
      e.id = f.ids.at(names[i]);
      e.stream_id = "s";
      e.position = position + i;
      e.stream_version = version + i;
      e.type = "test.happened";
      events.push_back(e);
    }
    return events;
  };
  auto lookup = [&](const uuid& id) -> std::optional<event_place> {
    auto it = f.places.find(id);
    if (it == f.places.end()) return std::nullopt;
    return it->second;
  };
  // Head 20, "s" at version 4.
  CHECK(decide_recorded_append(recorded({"n1", "n2"}, 21, 5), 20, 4, false, lookup).outcome ==
        verdict::write);
  auto position = decide_recorded_append(recorded({"a"}, 22, 9), 20, 4, false, lookup);
  CHECK(position.outcome == verdict::wrong_position);
  CHECK(position.required_position == 21);
  CHECK_THROWS_AS(detail::enforce(position, recorded({"a"}, 22, 9)), invalid_argument);
  // Even an exact copy of what is stored is a duplicate: append_recorded has no retry rule.
  auto stored = decide_recorded_append(recorded({"n1", "d"}, 21, 4), 20, 3, false, lookup);
  CHECK(stored.outcome == verdict::duplicate_event_id);
  CHECK(stored.event_index == 1);
  auto deleted = decide_recorded_append(recorded({"n1"}, 21, 5), 20, 4, true, lookup);
  CHECK(deleted.outcome == verdict::stream_deleted);
  CHECK_THROWS_AS(detail::enforce(deleted, recorded({"n1"}, 21, 5)), annal::stream_deleted);
  auto version = decide_recorded_append(recorded({"n1"}, 21, 6), 20, 4, false, lookup);
  CHECK(version.outcome == verdict::wrong_expected_version);
  try {
    detail::enforce(version, recorded({"n1"}, 21, 6));
    FAIL("accepted");
  } catch (const wrong_expected_version& e) {
    CHECK(e.expected() == "exact(5)");
    CHECK(e.actual_version() == 4);
  }
}

TEST_CASE("a condition's probe: the committed log through the backend, then the group's batches",
          "[append_decision][dcb]") {
  auto tagged = [](std::string tag) {
    event_data e;
    e.type = "t";
    e.payload = "{}";
    e.tags = {std::move(tag)};
    return e;
  };
  std::vector<event_data> first{tagged("a"), tagged("b")};
  std::vector<event_data> second{tagged("b")};
  std::vector<detail::accepted_batch> group{{"s", 11, first}, {"u", 13, second}};
  int lookups = 0;
  auto none = [&](const query&, std::uint64_t) -> std::optional<std::uint64_t> {
    ++lookups;
    return std::nullopt;
  };
  auto b = query::of({{.tags = {"b"}}});
  // Nothing committed matches: the group's first matching event after the position.
  CHECK(detail::first_condition_match(b, 0, 10, 1, none, group) == 12u);
  CHECK(detail::first_condition_match(b, 12, 10, 1, none, group) == 13u);
  CHECK(detail::first_condition_match(b, 13, 10, 1, none, group) == std::nullopt);
  CHECK(lookups == 1);  // a position at or past the committed head needs no lookup
  // A committed match wins over the group's.
  auto at_seven = [](const query&, std::uint64_t) -> std::optional<std::uint64_t> { return 7; };
  CHECK(detail::first_condition_match(b, 0, 10, 1, at_seven, group) == 7u);
  // A stream's implicit tag matches the group's batches of that stream only.
  auto u = query::of({{.tags = {stream_tag("u")}}});
  CHECK(detail::first_condition_match(u, 0, 10, 1, none, group) == 13u);
  // all() needs no lookup: the next position, or the log's start when retention deleted it.
  lookups = 0;
  CHECK(detail::first_condition_match(query::all(), 3, 10, 1, none, group) == 4u);
  CHECK(detail::first_condition_match(query::all(), 3, 10, 6, none, group) == 6u);
  CHECK(detail::first_condition_match(query::all(), 10, 10, 1, none, group) == 11u);
  CHECK(lookups == 0);
}
