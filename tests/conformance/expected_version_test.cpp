// Conformance: each expected-version rule against a missing stream and an existing one.
#include <catch2/catch.hpp>
#include <optional>

#include "annal/error.hpp"
#include "support/store_fixture.hpp"

using namespace annal;
using annal::test::make_events;
using annal::test::store_fixture;

namespace {

struct rule_case {
  std::uint64_t existing;  // events in the stream before the append
  expected_version expected;
  bool accepted;
};

}  // namespace

TEST_CASE("every expected-version rule accepts and rejects as documented", "[expected_version]") {
  auto [existing, expected, accepted] = GENERATE(
      rule_case{0, expected_version::any(), true}, rule_case{2, expected_version::any(), true},
      rule_case{0, expected_version::no_stream(), true},
      rule_case{2, expected_version::no_stream(), false},
      rule_case{0, expected_version::stream_exists(), false},
      rule_case{2, expected_version::stream_exists(), true},
      rule_case{0, expected_version::exact(0), true},
      rule_case{2, expected_version::exact(0), false},
      rule_case{0, expected_version::exact(1), false},
      rule_case{2, expected_version::exact(1), false},
      rule_case{2, expected_version::exact(2), true},
      rule_case{2, expected_version::exact(3), false});
  CAPTURE(existing, expected.to_string());
  store_fixture f;
  auto& s = f.store();
  if (existing > 0) s.append("s", expected_version::any(), make_events(existing));
  std::uint64_t head_before = s.head_position();
  if (accepted) {
    auto r = s.append("s", expected, make_events(2));
    CHECK(r.next_expected_version == existing + 2);
    CHECK(s.stream_version("s") == existing + 2);
  } else {
    try {
      s.append("s", expected, make_events(2));
      FAIL("the append was accepted");
    } catch (const wrong_expected_version& e) {
      CHECK(e.code() == errc::wrong_expected_version);
      CHECK(e.stream_id() == "s");
      CHECK(e.actual_version() == existing);
      CHECK(e.expected() == expected.to_string());
      CHECK(std::string(e.what()).find("'s'") != std::string::npos);
    }
    CHECK(s.head_position() == head_before);
    CHECK(s.stream_version("s") == existing);
  }
}

TEST_CASE("a rejected batch writes none of its events and the store stays usable",
          "[expected_version]") {
  store_fixture f;
  auto& s = f.store();
  s.append("s", expected_version::any(), make_events(3));
  CHECK_THROWS_AS(s.append("s", expected_version::exact(1), make_events(5)),
                  wrong_expected_version);
  CHECK(s.head_position() == 3);
  CHECK(s.read_all(1, 100).events.size() == 3);
  CHECK(s.append("s", expected_version::exact(3), make_events(1)).last_position == 4);
}

TEST_CASE("the next expected version of one append is accepted by the next", "[expected_version]") {
  store_fixture f;
  auto& s = f.store();
  auto r = s.append("s", expected_version::no_stream(), make_events(1));
  for (int i = 0; i < 20; ++i) {
    r = s.append("s", expected_version::exact(r.next_expected_version), make_events(1 + i % 3));
  }
  CHECK(r.next_expected_version == s.stream_version("s"));
}
