// Conformance: append_recorded() keeps every field of copied events; list_streams and describe.
#include <catch2/catch.hpp>
#include <chrono>

#include "annal/store_admin.hpp"
#include "annal/error.hpp"
#include "support/store_fixture.hpp"

using namespace annal;
using annal::test::backend_under_test;
using annal::test::make_events;
using annal::test::store_fixture;

namespace {

using namespace std::chrono_literals;

// `count` recorded events of `stream` at `position` and `version`, with one old timestamp.
std::vector<recorded_event> recorded(std::string stream, std::uint64_t position,
                                     std::uint64_t version, std::size_t count,
                                     std::chrono::system_clock::time_point at) {
  std::vector<recorded_event> events;
  for (std::size_t i = 0; i < count; ++i) {
    recorded_event e;
    e.position = position + i;
    e.stream_id = stream;
    e.stream_version = version + i;
    e.type = i % 2 == 0 ? "copy.even" : "copy.odd";
    e.id = uuid::v7();
    e.timestamp = at;
    e.payload = "{\"i\":" + std::to_string(i) + "}";
    events.push_back(std::move(e));
  }
  return events;
}

const auto long_ago = std::chrono::system_clock::time_point(1'600'000'000'123'456us);

}  // namespace

TEST_CASE("append_recorded keeps positions, versions, ids, timestamps, metadata and payloads",
          "[recorded]") {
  store_fixture f;
  auto first = recorded("order-1", 1, 1, 3, long_ago);
  first[1].metadata.correlation_id = "req-7";
  first[1].metadata.properties = {{"user", "ada"}};
  first[2].encoding = payload_encoding::binary;
  first[2].payload = std::string("\0\xff\x01", 3);
  auto second = recorded("order-2", 4, 1, 2, long_ago + 1s);
  auto third = recorded("order-1", 6, 4, 1, long_ago + 2s);

  CHECK(append_recorded(f.store(), first) == append_result{1, 3, 3, true});
  CHECK(append_recorded(f.store(), second) == append_result{4, 5, 2, true});
  CHECK(append_recorded(f.store(), third) == append_result{6, 6, 4, true});

  std::vector<recorded_event> expected = first;
  expected.insert(expected.end(), second.begin(), second.end());
  expected.insert(expected.end(), third.begin(), third.end());
  for (int pass = 0; pass < 2; ++pass) {
    auto& s = pass == 0 ? f.store() : f.reopen();
    CHECK(s.read_all(1, 100).events == expected);
    CHECK(s.stream_version("order-1") == 4);
    CHECK(s.head_position() == 6);
  }
  // Ordinary appends go on after the copied events.
  CHECK(f.store().append("order-2", expected_version::exact(2), make_events(1)) ==
        append_result{7, 7, 3, true});
}

TEST_CASE("append_recorded requires the batch to start at the head + 1", "[recorded]") {
  store_fixture f;
  f.store().append("a", expected_version::any(), make_events(2));
  CHECK_THROWS_AS(append_recorded(f.store(), recorded("b", 4, 1, 1, long_ago)), invalid_argument);
  CHECK_THROWS_AS(append_recorded(f.store(), recorded("b", 2, 1, 1, long_ago)), invalid_argument);
  CHECK(f.store().head_position() == 2);
  CHECK(append_recorded(f.store(), recorded("b", 3, 1, 1, long_ago)).first_position == 3);
}

TEST_CASE("append_recorded requires the first version to follow the stream's version",
          "[recorded]") {
  store_fixture f;
  f.store().append("a", expected_version::any(), make_events(2));
  try {
    append_recorded(f.store(), recorded("a", 3, 2, 1, long_ago));
    FAIL("a version already taken was accepted");
  } catch (const wrong_expected_version& e) {
    CHECK(e.actual_version() == 2);
  }
  CHECK_THROWS_AS(append_recorded(f.store(), recorded("a", 3, 4, 1, long_ago)),
                  wrong_expected_version);
  CHECK(f.store().head_position() == 2);
}

TEST_CASE("append_recorded refuses an event id already stored, even as a retry", "[recorded]") {
  store_fixture f;
  auto batch = recorded("a", 1, 1, 2, long_ago);
  append_recorded(f.store(), batch);
  auto again = recorded("b", 3, 1, 2, long_ago);
  again[1].id = batch[0].id;
  CHECK_THROWS_AS(append_recorded(f.store(), again), duplicate_event_id);
  CHECK_THROWS_AS(append_recorded(f.store(), batch), invalid_argument);  // position 1 is taken
  CHECK(f.store().head_position() == 2);
}

TEST_CASE("append_recorded refuses what is not one batch of one stream", "[recorded]") {
  store_fixture f;
  auto two_streams = recorded("a", 1, 1, 2, long_ago);
  two_streams[1].stream_id = "b";
  auto two_times = recorded("a", 1, 1, 2, long_ago);
  two_times[1].timestamp += 1s;
  auto gap = recorded("a", 1, 1, 2, long_ago);
  gap[1].position = 3;
  auto version_gap = recorded("a", 1, 1, 2, long_ago);
  version_gap[1].stream_version = 3;
  auto from_zero = recorded("a", 0, 1, 1, long_ago);
  auto nil_id = recorded("a", 1, 1, 1, long_ago);
  nil_id[0].id = uuid();
  for (const auto* bad : {&two_streams, &two_times, &gap, &version_gap, &from_zero, &nil_id}) {
    CHECK_THROWS_AS(append_recorded(f.store(), *bad), invalid_argument);
  }
  CHECK_THROWS_AS(append_recorded(f.store(), {}), invalid_argument);
  CHECK(f.store().head_position() == 0);
}

TEST_CASE("list_streams pages through streams in id order, by prefix", "[recorded]") {
  store_fixture f;
  for (const char* id : {"order-2", "user-1", "order-10", "order-1"}) {
    f.store().append(id, expected_version::any(), make_events(2));
  }
  f.store().append("order-1", expected_version::any(), make_events(1));
  auto all = list_streams(f.store());
  std::vector<stream_summary> expected{
      {"order-1", 3}, {"order-10", 2}, {"order-2", 2}, {"user-1", 2}};
  CHECK(all == expected);
  CHECK(list_streams(f.store(), "order-") ==
        std::vector<stream_summary>(expected.begin(), expected.begin() + 3));
  CHECK(list_streams(f.store(), "", "order-10", 1) == std::vector<stream_summary>{{"order-2", 2}});
  CHECK(list_streams(f.store(), "order-", "order-2").empty());
  CHECK_THROWS_AS(list_streams(f.store(), "", "", 0), invalid_argument);
  CHECK(list_streams(f.reopen()) == expected);
}

TEST_CASE("describe names the backend and counts streams and bytes", "[recorded]") {
  store_fixture f;
  auto empty = describe(f.store());
  CHECK(empty.backend == backend_under_test());
  CHECK(empty.format_version >= 1);
  CHECK(empty.stream_count == 0);
  f.store().append("a", expected_version::any(), make_events(3));
  f.store().append("b", expected_version::any(), make_events(3));
  auto d = describe(f.store());
  CHECK(d.stream_count == 2);
  CHECK(d.bytes_on_disk > 0);
  CHECK(d.segment_count == (d.backend == "segment" ? 1u : 0u));
}
