// Conformance: every backend stores each event's type version and refuses one out of range.
#include <catch2/catch.hpp>

#include "annal/error.hpp"
#include "annal/verify.hpp"
#include "support/store_fixture.hpp"

using namespace annal;
using annal::test::make_events;
using annal::test::store_fixture;

namespace {

std::vector<std::uint32_t> versions_of(const std::vector<recorded_event>& events) {
  std::vector<std::uint32_t> versions;
  for (const auto& e : events) versions.push_back(e.type_version);
  return versions;
}

}  // namespace

TEST_CASE("type versions are stored per event and read back by every read", "[type_version]") {
  store_fixture f;
  auto batch = make_events(4);
  batch[1].type_version = 2;
  batch[2].type_version = max_type_version;  // three varint bytes in a segment frame
  batch[3].type_version = 1;
  f.store().append("s", expected_version::no_stream(), batch);
  auto more = make_events(1, "other.type");
  more[0].type_version = 300;
  f.store().append("t", expected_version::no_stream(), more);

  const std::vector<std::uint32_t> in_s{1, 2, max_type_version, 1};
  for (int pass = 0; pass < 2; ++pass) {
    INFO("pass " << pass << " (1: after a reopen)");
    auto& store = pass == 0 ? f.store() : f.reopen();
    CHECK(versions_of(store.read_stream("s")) == in_s);
    CHECK(versions_of(store.read_stream("t")) == std::vector<std::uint32_t>{300});
    CHECK(versions_of(store.read_all(1, 10).events) ==
          std::vector<std::uint32_t>{1, 2, max_type_version, 1, 300});
    CHECK(versions_of(store.read_stream("s", 4, read_direction::backward, 2)) ==
          std::vector<std::uint32_t>{1, max_type_version});
  }
  // Copied events keep their versions.
  auto copied = f.store().read_all(1, 10).events;
  store_fixture g;
  append_recorded(g.store(), std::span(copied).first(4));
  append_recorded(g.store(), std::span(copied).subspan(4));
  CHECK(g.store().read_all(1, 10).events == copied);
  f.store().close();
  CHECK(verify_store(f.uri()).ok());
}

TEST_CASE("a retry with another type version is still the retry of the stored event",
          "[type_version]") {
  store_fixture f;
  auto batch = make_events(2);
  batch[0].type_version = 2;
  auto first = f.store().append("s", expected_version::no_stream(), batch);
  // Idempotency is by event id: the stored event stands as it was written.
  batch[0].type_version = 3;
  auto again = f.store().append("s", expected_version::no_stream(), batch);
  CHECK_FALSE(again.written);
  CHECK(again.first_position == first.first_position);
  CHECK(f.store().read_stream("s")[0].type_version == 2);
}

TEST_CASE("a type version of 0 or above the limit is refused and stores nothing",
          "[type_version][bad_input]") {
  store_fixture f;
  for (std::uint32_t bad : {0u, max_type_version + 1, 0xffffffffu}) {
    INFO(bad);
    auto batch = make_events(3);
    batch[2].type_version = bad;
    try {
      f.store().append("s", expected_version::any(), batch);
      FAIL("expected invalid_argument");
    } catch (const invalid_argument& e) {
      CHECK_THAT(e.what(), Catch::Matchers::Contains("event 2 of the batch has type version " +
                                                     std::to_string(bad)));
    }
    auto copied = f.store().read_all(1, 10).events;
    CHECK(copied.empty());
  }
  // append_recorded applies the same rule.
  auto source = make_events(1);
  f.store().append("s", expected_version::any(), source);
  auto copied = f.store().read_all(1, 1).events;
  copied[0].type_version = 0;
  store_fixture g;
  CHECK_THROWS_AS(append_recorded(g.store(), copied), invalid_argument);
  CHECK(g.store().head_position() == 0);
}
