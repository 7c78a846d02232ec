// Conformance: reading one stream in both directions and the global log with filters.
#include <catch2/catch.hpp>

#include "annal/error.hpp"
#include "support/store_fixture.hpp"

using namespace annal;
using annal::test::make_event;
using annal::test::make_events;
using annal::test::store_fixture;

namespace {

std::vector<std::uint64_t> versions(const std::vector<recorded_event>& events) {
  std::vector<std::uint64_t> out;
  for (const auto& e : events) out.push_back(e.stream_version);
  return out;
}

std::vector<std::uint64_t> positions(const std::vector<recorded_event>& events) {
  std::vector<std::uint64_t> out;
  for (const auto& e : events) out.push_back(e.position);
  return out;
}

using v = std::vector<std::uint64_t>;

}  // namespace

TEST_CASE("a stream reads forward from a version with a limit", "[read]") {
  store_fixture f;
  auto& s = f.store();
  s.append("s", expected_version::any(), make_events(5));
  s.append("other", expected_version::any(), make_events(2));
  CHECK(versions(s.read_stream("s")) == v{1, 2, 3, 4, 5});
  CHECK(versions(s.read_stream("s", 0)) == v{1, 2, 3, 4, 5});
  CHECK(versions(s.read_stream("s", 3)) == v{3, 4, 5});
  CHECK(versions(s.read_stream("s", 2, read_direction::forward, 2)) == v{2, 3});
  CHECK(s.read_stream("s", 6).empty());
  CHECK(s.read_stream("missing").empty());
}

TEST_CASE("a stream reads backward from a version or from its end", "[read]") {
  store_fixture f;
  auto& s = f.store();
  s.append("s", expected_version::any(), make_events(5));
  CHECK(versions(s.read_stream("s", end_of_stream, read_direction::backward)) == v{5, 4, 3, 2, 1});
  CHECK(versions(s.read_stream("s", end_of_stream, read_direction::backward, 1)) == v{5});
  CHECK(versions(s.read_stream("s", 3, read_direction::backward)) == v{3, 2, 1});
  CHECK(versions(s.read_stream("s", 9, read_direction::backward, 2)) == v{5, 4});
  CHECK(s.read_stream("s", 0, read_direction::backward).empty());
  CHECK(s.read_stream("missing", end_of_stream, read_direction::backward).empty());
}

TEST_CASE("the global log reads in pages that chain through next_position", "[read]") {
  store_fixture f;
  auto& s = f.store();
  s.append("a", expected_version::any(), make_events(4));
  s.append("b", expected_version::any(), make_events(3));
  auto first = s.read_all(1, 3);
  CHECK(positions(first.events) == v{1, 2, 3});
  CHECK(first.next_position == 4);
  CHECK_FALSE(first.end_of_log);
  auto second = s.read_all(first.next_position, 3);
  CHECK(positions(second.events) == v{4, 5, 6});
  auto third = s.read_all(second.next_position, 3);
  CHECK(positions(third.events) == v{7});
  CHECK(third.end_of_log);
  CHECK(third.next_position == 8);
  auto exact = s.read_all(5, 3);
  CHECK(positions(exact.events) == v{5, 6, 7});
  CHECK(exact.end_of_log);
  auto past = s.read_all(100, 3);
  CHECK(past.events.empty());
  CHECK(past.end_of_log);
  CHECK(past.next_position == 100);
}

TEST_CASE("the global log filters by event type and by stream prefix", "[read]") {
  store_fixture f;
  auto& s = f.store();
  s.append("order-1", expected_version::any(), make_event("order.created"));
  s.append("customer-1", expected_version::any(), make_event("customer.registered"));
  s.append("order-1", expected_version::any(), make_event("order.paid"));
  s.append("order-2", expected_version::any(), make_event("order.created"));
  s.append("orders-summary", expected_version::any(), make_event("order.created"));

  read_filter by_type{{"order.created"}, ""};
  CHECK(positions(s.read_all(1, 100, by_type).events) == v{1, 4, 5});
  read_filter two_types{{"order.paid", "customer.registered"}, ""};
  CHECK(positions(s.read_all(1, 100, two_types).events) == v{2, 3});
  read_filter by_prefix{{}, "order-"};
  CHECK(positions(s.read_all(1, 100, by_prefix).events) == v{1, 3, 4});
  read_filter both{{"order.created"}, "order-"};
  auto slice = s.read_all(1, 100, both);
  CHECK(positions(slice.events) == v{1, 4});
  CHECK(slice.end_of_log);
  CHECK(slice.next_position == 6);
  for (const auto& e : slice.events) CHECK(e.stream_id.rfind("order-", 0) == 0);
  read_filter none{{"no.such.type"}, ""};
  auto empty = s.read_all(1, 100, none);
  CHECK(empty.events.empty());
  CHECK(empty.end_of_log);
}

TEST_CASE("a filtered page that fills up continues after its last event", "[read]") {
  store_fixture f;
  auto& s = f.store();
  for (int i = 0; i < 6; ++i) {
    s.append("s", expected_version::any(), make_event(i % 2 == 0 ? "even" : "odd"));
  }
  read_filter even{{"even"}, ""};
  auto first = s.read_all(1, 2, even);
  CHECK(positions(first.events) == v{1, 3});
  CHECK(first.next_position == 4);
  CHECK_FALSE(first.end_of_log);
  auto second = s.read_all(first.next_position, 2, even);
  CHECK(positions(second.events) == v{5});
  CHECK(second.end_of_log);
}

TEST_CASE("a filter that matches nothing in a long log still reaches its end", "[read][slow]") {
  store_fixture f;
  auto& s = f.store();
  constexpr std::size_t total = 80000;
  for (std::size_t i = 0; i < total / 1000; ++i) {
    s.append("s" + std::to_string(i % 7), expected_version::any(), make_events(1000));
  }
  s.append("late", expected_version::any(), make_event("rare"));
  read_filter rare{{"rare"}, ""};
  log_slice slice;
  std::uint64_t from = 1;
  std::vector<recorded_event> found;
  int calls = 0;
  do {
    slice = s.read_all(from, 10, rare);
    REQUIRE(slice.next_position > from);
    from = slice.next_position;
    found.insert(found.end(), slice.events.begin(), slice.events.end());
    REQUIRE(++calls < 1000);
  } while (!slice.end_of_log);
  REQUIRE(found.size() == 1);
  CHECK(found[0].position == total + 1);
  CHECK(slice.next_position == total + 2);
}
