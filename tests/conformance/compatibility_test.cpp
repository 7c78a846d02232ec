// Conformance: the census of stored types and the compatibility check, on every backend.
#include "annal/compatibility.hpp"

#include <catch2/catch.hpp>

#include "support/store_fixture.hpp"

using namespace annal;
using annal::test::store_fixture;
using annal::test::stored_event;

namespace room {

struct booked {
  static constexpr std::string_view type = "room.booked";
  static constexpr int version = 2;
  std::string guest;
  int nights;
};
struct released {
  static constexpr std::string_view type = "room.released";
  std::string reason;
};
// Today's program, before anyone wrote the upcaster for booked version 1.
using event = std::variant<booked, released>;

// The same events with the upcasters the deploy needs.
struct booked_v1 {
  static constexpr std::string_view type = "room.booked";
  std::string guest;
};
struct fixed_booked {
  static constexpr std::string_view type = "room.booked";
  static constexpr int version = 2;
  std::string guest;
  int nights;
};
struct fixed_released {
  static constexpr std::string_view type = "room.released";
  std::string reason;
};
inline fixed_booked to_fixed_v2(const booked_v1& old) { return {old.guest, 1}; }
using fixed_event = std::variant<fixed_booked, fixed_released>;

}  // namespace room

template <>
struct annal::upcasters_of<room::fixed_event>
    : annal::upcasters<annal::upcast<&room::to_fixed_v2>,
                       annal::rename<"room.freed", "room.released">> {};

namespace {

// A log of a year: booked v1 and v2, released under its old name and its new one, and another
// service's events.
void fill(event_store& store) {
  store.append("room-1", expected_version::no_stream(),
               std::vector<event_data>{stored_event("room.booked", 1, R"({"guest":"ada"})"),
                                       stored_event("room.freed", 1, R"({"reason":"left"})")});
  store.append(
      "room-2", expected_version::no_stream(),
      std::vector<event_data>{stored_event("room.booked", 2, R"({"guest":"bob","nights":3})"),
                              stored_event("room.released", 1, R"({"reason":"paid"})")});
  store.append("mail-1", expected_version::no_stream(),
               stored_event("mail.sent", 1, R"({"to":"ada"})"));
  store.append("room-3", expected_version::no_stream(),
               stored_event("room.booked", 1, R"({"guest":"eve"})"));
}

const type_compatibility& find(const compatibility_report& r, const std::string& type,
                               std::uint32_t version) {
  for (const auto& t : r.types) {
    if (t.stored.type == type && t.stored.type_version == version) return t;
  }
  FAIL("no " << type << " v" << version);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("stored_types counts each type and version with its first and last position",
          "[compatibility]") {
  store_fixture f;
  CHECK(stored_types(f.store()).empty());
  fill(f.store());
  auto types = stored_types(f.store());
  REQUIRE(types.size() == 5);
  CHECK(types[0].type == "mail.sent");
  CHECK(types[1].type == "room.booked");
  CHECK(types[1].type_version == 1);
  CHECK(types[1].count == 2);
  CHECK(types[1].first_position == 1);
  CHECK(types[1].last_position == 6);
  CHECK(types[2].type_version == 2);
  CHECK(types[2].first_position == 3);
  CHECK(types[3].type == "room.freed");
  CHECK(types[4].type == "room.released");
}

TEST_CASE("the compatibility check finds a missing upcaster and a missing rename",
          "[compatibility]") {
  store_fixture f;
  fill(f.store());
  auto report = check_compatibility<room::event>(f.store(), {.ignored_type_prefixes = {"mail."}});
  CHECK_FALSE(report.ok());
  auto problems = report.problems();
  REQUIRE(problems.size() == 2);
  CHECK(problems[0].stored.type == "room.booked");
  CHECK(problems[0].stored.type_version == 1);
  CHECK(problems[0].stored.count == 2);
  CHECK(problems[0].path == read_path::unknown);
  CHECK(problems[1].stored.type == "room.freed");
  CHECK(find(report, "room.booked", 2).path == read_path::direct);
  CHECK(find(report, "mail.sent", 1).path == read_path::unknown);
  CHECK_FALSE(report.is_checked("mail.sent"));

  auto fixed =
      check_compatibility<room::fixed_event>(f.store(), {.ignored_type_prefixes = {"mail."}});
  CHECK(fixed.ok());
  CHECK(find(fixed, "room.booked", 1).path == read_path::upcast);
  CHECK(find(fixed, "room.freed", 1).path == read_path::upcast);
  // Without the ignored prefix, the other service's events are a problem too.
  CHECK(check_compatibility<room::fixed_event>(f.store()).problems().size() == 1);
}

TEST_CASE("the compatibility check decodes samples and reports a payload that does not fit",
          "[compatibility]") {
  store_fixture f;
  fill(f.store());
  // The last booked v2 has a payload today's struct cannot read; the first one is fine.
  f.store().append("room-4", expected_version::no_stream(),
                   stored_event("room.booked", 2, R"({"guest":"zed","nights":"two"})"));
  f.store().append("room-5", expected_version::no_stream(),
                   stored_event("room.booked", 2, R"({"guest":"kim","nights":1})"));
  f.store().append("room-6", expected_version::no_stream(),
                   stored_event("room.released", 1, R"({"reason":7})"));
  compatibility_options options{.ignored_type_prefixes = {"mail."}};
  auto sampled = check_compatibility<room::fixed_event>(f.store(), options);
  auto problems = sampled.problems();
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].stored.type == "room.released");
  CHECK(problems[0].failed_position == 9);
  CHECK(problems[0].error.find("reason") != std::string::npos);

  options.decode_every_event = true;
  auto every = check_compatibility<room::fixed_event>(f.store(), options).problems();
  REQUIRE(every.size() == 2);
  CHECK(every[0].stored.type == "room.booked");
  CHECK(every[0].failed_position == 7);
  CHECK(every[0].error.find("nights") != std::string::npos);
}

TEST_CASE("readable_types lists what a program reads, for annal types --expect",
          "[compatibility]") {
  CHECK(readable_types<room::fixed_event>() ==
        std::vector<std::string>{"room.booked 2", "room.released 1", "room.booked 1",
                                 "room.freed *"});
  CHECK(readable_types<room::event, room::fixed_event>().size() == 4);
}
