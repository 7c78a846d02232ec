// Conformance: the idempotency rule for event ids (docs/concepts.md, "Idempotency").
#include <catch2/catch.hpp>

#include "annal/error.hpp"
#include "support/store_fixture.hpp"

using namespace annal;
using annal::test::make_event;
using annal::test::make_events;
using annal::test::store_fixture;

TEST_CASE("retrying a stored batch succeeds, writes nothing and returns the original result",
          "[idempotency]") {
  auto expected =
      GENERATE(expected_version::any(), expected_version::no_stream(), expected_version::exact(0));
  CAPTURE(expected.to_string());
  store_fixture f;
  auto& s = f.store();
  auto batch = make_events(3);
  auto first = s.append("s", expected, batch);
  s.append("s", expected_version::any(), make_events(2));  // the stream moves on
  auto retry = s.append("s", expected, batch);
  CHECK(retry.written == false);
  CHECK(retry.first_position == first.first_position);
  CHECK(retry.last_position == first.last_position);
  CHECK(retry.next_expected_version == first.next_expected_version);
  CHECK(s.head_position() == 5);
}

TEST_CASE("a retry after reopening the store is still recognised", "[idempotency]") {
  store_fixture f;
  auto batch = make_events(2);
  auto first = f.store().append("s", expected_version::exact(0), batch);
  auto& s = f.reopen();
  auto retry = s.append("s", expected_version::exact(0), batch);
  CHECK_FALSE(retry.written);
  CHECK(retry.last_position == first.last_position);
  CHECK(s.head_position() == 2);
}

TEST_CASE("retrying with stream_exists after the stream grew is recognised", "[idempotency]") {
  store_fixture f;
  auto& s = f.store();
  s.append("s", expected_version::any(), make_events(1));
  auto batch = make_events(2);
  auto first = s.append("s", expected_version::stream_exists(), batch);
  s.append("s", expected_version::any(), make_events(1));
  auto retry = s.append("s", expected_version::stream_exists(), batch);
  CHECK_FALSE(retry.written);
  CHECK(retry.first_position == first.first_position);
}

TEST_CASE("the same event id in another stream is a duplicate_event_id error", "[idempotency]") {
  store_fixture f;
  auto& s = f.store();
  auto batch = make_events(2);
  s.append("a", expected_version::any(), batch);
  try {
    s.append("b", expected_version::any(), batch);
    FAIL("accepted");
  } catch (const duplicate_event_id& e) {
    CHECK(e.event_id() == batch[0].id.to_string());
    CHECK(e.stored_stream_id() == "a");
    CHECK(e.stored_version() == 1);
  }
  CHECK(s.head_position() == 2);
  CHECK(s.stream_version("b") == 0);
}

TEST_CASE("a retry whose expected version puts the batch elsewhere is a duplicate",
          "[idempotency]") {
  store_fixture f;
  auto& s = f.store();
  s.append("s", expected_version::any(), make_events(1));
  auto batch = make_events(1);
  s.append("s", expected_version::exact(1), batch);
  CHECK_THROWS_AS(s.append("s", expected_version::exact(0), batch), duplicate_event_id);
  CHECK_THROWS_AS(s.append("s", expected_version::no_stream(), batch), duplicate_event_id);
  CHECK(s.head_position() == 2);
}

TEST_CASE("a batch that only partly matches a stored one is a duplicate and writes nothing",
          "[idempotency]") {
  store_fixture f;
  auto& s = f.store();
  auto batch = make_events(2);
  s.append("s", expected_version::any(), batch);

  SECTION("same first id, different second id") {
    std::vector<event_data> changed{batch[0], make_event()};
    CHECK_THROWS_AS(s.append("s", expected_version::any(), changed), duplicate_event_id);
  }
  SECTION("a new first id followed by a stored id") {
    std::vector<event_data> mixed{make_event(), batch[1]};
    try {
      s.append("s", expected_version::any(), mixed);
      FAIL("accepted");
    } catch (const duplicate_event_id& e) {
      CHECK(e.event_id() == batch[1].id.to_string());
      CHECK(e.stored_version() == 2);
    }
  }
  SECTION("the stored batch plus one new event") {
    std::vector<event_data> longer{batch[0], batch[1], make_event()};
    CHECK_THROWS_AS(s.append("s", expected_version::any(), longer), duplicate_event_id);
  }
  CHECK(s.head_position() == 2);
  CHECK(s.stream_version("s") == 2);
}
