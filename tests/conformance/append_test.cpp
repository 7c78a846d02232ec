// Conformance: appends give gapless positions and versions and store every field unchanged.
#include <catch2/catch.hpp>
#include <chrono>

#include "annal/error.hpp"
#include "support/store_fixture.hpp"

using namespace annal;
using annal::test::make_event;
using annal::test::make_events;
using annal::test::store_fixture;

TEST_CASE("a new store is empty", "[append]") {
  store_fixture f;
  auto& s = f.store();
  CHECK(s.head_position() == 0);
  CHECK(s.stream_version("order-1") == 0);
  CHECK(s.read_stream("order-1").empty());
  auto slice = s.read_all(0, 100);
  CHECK(slice.events.empty());
  CHECK(slice.end_of_log);
  CHECK(slice.next_position == 1);
}

TEST_CASE("positions start at 1 and have no gaps across streams", "[append]") {
  store_fixture f;
  auto& s = f.store();
  auto a = s.append("a", expected_version::any(), make_events(3));
  auto b = s.append("b", expected_version::any(), make_events(2));
  auto c = s.append("a", expected_version::any(), make_events(1));
  CHECK(a == append_result{1, 3, 3, true});
  CHECK(b == append_result{4, 5, 2, true});
  CHECK(c == append_result{6, 6, 4, true});
  CHECK(s.head_position() == 6);
  auto all = s.read_all(1, 100).events;
  REQUIRE(all.size() == 6);
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(all[i].position == i + 1);
}

TEST_CASE("stream versions start at 1 and count the stream's events", "[append]") {
  store_fixture f;
  auto& s = f.store();
  s.append("a", expected_version::no_stream(), make_events(2));
  s.append("b", expected_version::no_stream(), make_events(1));
  s.append("a", expected_version::exact(2), make_events(3));
  CHECK(s.stream_version("a") == 5);
  CHECK(s.stream_version("b") == 1);
  auto events = s.read_stream("a");
  REQUIRE(events.size() == 5);
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].stream_version == i + 1);
    CHECK(events[i].stream_id == "a");
  }
}

TEST_CASE("every field of an event is stored and returned unchanged", "[append]") {
  store_fixture f;
  auto& s = f.store();
  event_data json = make_event("order.created", 7);
  json.metadata.correlation_id = "req-42";
  json.metadata.causation_id = "cmd-9";
  json.metadata.properties = {{"user", "ada"}, {"tenant", "t\xc3\xa9st"}};
  event_data binary;
  binary.type = "blob.stored";
  binary.encoding = payload_encoding::binary;
  binary.payload = std::string("\0\x01\xff\xfe zero inside", 16);
  event_data empty_payload;
  empty_payload.type = "nothing.happened";
  empty_payload.encoding = payload_encoding::binary;

  auto before = std::chrono::system_clock::now();
  std::vector<event_data> batch{json, binary, empty_payload};
  s.append("order-1", expected_version::no_stream(), batch);
  auto after = std::chrono::system_clock::now();

  for (int pass = 0; pass < 2; ++pass) {
    auto events = (pass == 0 ? s : f.reopen()).read_stream("order-1");
    REQUIRE(events.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
      CHECK(events[i].id == batch[i].id);
      CHECK(events[i].type == batch[i].type);
      CHECK(events[i].payload == batch[i].payload);
      CHECK(events[i].encoding == batch[i].encoding);
      CHECK(events[i].metadata == batch[i].metadata);
      CHECK(events[i].timestamp >= std::chrono::floor<std::chrono::microseconds>(before));
      CHECK(events[i].timestamp <= after);
    }
  }
}

TEST_CASE("a payload of several MiB round-trips", "[append]") {
  store_fixture f;
  event_data big = make_event();
  big.encoding = payload_encoding::binary;
  big.payload.assign(3u << 20, 'x');
  for (std::size_t i = 0; i < big.payload.size(); i += 4093) big.payload[i] = static_cast<char>(i);
  f.store().append("big", expected_version::any(), big);
  auto events = f.reopen().read_stream("big");
  REQUIRE(events.size() == 1);
  CHECK(events[0].payload == big.payload);
}

TEST_CASE("appended events survive reopening the store", "[append]") {
  store_fixture f;
  f.store().append("a", expected_version::any(), make_events(4));
  f.store().append("b", expected_version::any(), make_events(2));
  auto& s = f.reopen();
  CHECK(s.head_position() == 6);
  CHECK(s.stream_version("a") == 4);
  CHECK(s.stream_version("b") == 2);
  auto r = s.append("a", expected_version::exact(4), make_events(1));
  CHECK(r == append_result{7, 7, 5, true});
}

TEST_CASE("a stream id of exactly 256 bytes and unusual characters is accepted", "[append]") {
  store_fixture f;
  std::string longest(256, 's');
  std::string unusual = "order/ü-1 with spaces%' \"quotes\"";
  f.store().append(longest, expected_version::any(), make_event());
  f.store().append(unusual, expected_version::any(), make_event());
  CHECK(f.store().stream_version(longest) == 1);
  CHECK(f.store().read_stream(unusual).size() == 1);
}
