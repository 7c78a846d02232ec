// Conformance: the idempotency rule for event ids (docs/concepts.md, "Idempotency").
#include <catch2/catch.hpp>
#include <optional>
#include <thread>

#include "annal/error.hpp"
#include "support/commit_gate.hpp"
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

TEST_CASE("appends queued in one commit group with the batch they repeat follow the same rule",
          "[idempotency]") {
  // The blocker takes the first group and is held there; the appends below then queue in order
  // and (on backends that group commits) commit as one group, where the retries find the batch
  // they repeat placed earlier in the same group rather than in the log.
  test::commit_gate gate;
  store_fixture f(gate.hooks());
  auto* s = &f.store();
  auto batch = make_events(3);
  event_data fresh = make_event();
  std::vector<event_data> longer = batch;
  longer.push_back(make_event());
  struct attempt {
    std::string stream;
    expected_version expected;
    std::vector<event_data> events;
    std::optional<append_result> result;
    std::optional<errc> error;
  };
  std::vector<attempt> attempts = {
      {"s", expected_version::no_stream(), batch, {}, {}},                      // the original
      {"s", expected_version::exact(0), batch, {}, {}},                         // an exact retry
      {"s", expected_version::exact(1), {batch[1], batch[2]}, {}, {}},          // from mid-batch
      {"s", expected_version::exact(0), {batch[1], batch[2]}, {}, {}},          // at another place
      {"t", expected_version::any(), {batch[0]}, {}, {}},                       // another stream
      {"s", expected_version::exact(0), longer, {}, {}},                        // longer
      {"s", expected_version::exact(0), {fresh}, {}, {}},                       // stale version
  };
  std::vector<std::thread> threads;
  threads.emplace_back([&] { s->append("blocker", expected_version::any(), make_event()); });
  gate.wait_until_held();
  for (std::size_t i = 0; i < attempts.size(); ++i) {
    threads.emplace_back([&a = attempts[i], &s] {
      try {
        a.result = s->append(a.stream, a.expected, a.events);
      } catch (const error& e) {
        a.error = e.code();
      }
    });
    gate.wait_until_queued(i + 2);
  }
  gate.release();
  for (auto& t : threads) t.join();

  REQUIRE(attempts[0].result);
  CHECK(*attempts[0].result == append_result{2, 4, 3, true});
  REQUIRE(attempts[1].result);
  CHECK(*attempts[1].result == append_result{2, 4, 3, false});
  REQUIRE(attempts[2].result);
  CHECK(*attempts[2].result == append_result{3, 4, 3, false});
  CHECK(attempts[3].error == errc::duplicate_event_id);
  CHECK(attempts[4].error == errc::duplicate_event_id);
  CHECK(attempts[5].error == errc::duplicate_event_id);
  CHECK(attempts[6].error == errc::wrong_expected_version);
  CHECK(s->head_position() == 4);
  // The same appends against the committed log get the same answers.
  std::vector<event_data> tail = {batch[1], batch[2]};
  CHECK(s->append("s", expected_version::exact(1), tail) == append_result{3, 4, 3, false});
  CHECK_THROWS_AS(s->append("s", expected_version::exact(0), tail), duplicate_event_id);
}
