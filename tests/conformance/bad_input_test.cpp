// Conformance: invalid input is rejected with invalid_argument and leaves the store unchanged.
#include <catch2/catch.hpp>
#include <filesystem>

#include "annal/store_admin.hpp"
#include "annal/error.hpp"
#include "support/store_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace annal;
using annal::test::make_event;
using annal::test::make_events;
using annal::test::store_fixture;

namespace {

void check_invalid(const std::function<void()>& call, const std::string& expected_text) {
  try {
    call();
    FAIL("accepted");
  } catch (const invalid_argument& e) {
    CHECK(e.code() == errc::invalid_argument);
    CHECK_THAT(e.what(), Catch::Contains(expected_text));
  }
}

}  // namespace

TEST_CASE("invalid stream ids are rejected by every call that takes one", "[bad_input]") {
  store_fixture f;
  auto& s = f.store();
  s.append("kept", expected_version::any(), make_events(1));
  auto [id, text] = GENERATE(table<std::string, std::string>({
      {"", "stream id is empty"},
      {std::string(257, 'x'), "257 bytes"},
      {std::string("a\0b", 3), "NUL"},
  }));
  check_invalid([&] { s.append(id, expected_version::any(), make_event()); }, text);
  check_invalid([&] { s.read_stream(id); }, text);
  check_invalid([&] { s.stream_version(id); }, text);
  CHECK(s.head_position() == 1);
  CHECK(s.append("kept", expected_version::exact(1), make_event()).last_position == 2);
}

TEST_CASE("invalid events are rejected and the whole batch is written or none of it",
          "[bad_input]") {
  store_fixture f;
  auto& s = f.store();
  auto batch = make_events(3);
  SECTION("empty type") {
    batch[1].type = "";
    check_invalid([&] { s.append("s", expected_version::any(), batch); }, "event type is empty");
  }
  SECTION("type too long") {
    batch[2].type = std::string(257, 't');
    check_invalid([&] { s.append("s", expected_version::any(), batch); }, "257 bytes");
  }
  SECTION("type with NUL") {
    batch[0].type = std::string("a\0", 2);
    check_invalid([&] { s.append("s", expected_version::any(), batch); }, "NUL");
  }
  SECTION("nil id") {
    batch[1].id = uuid{};
    check_invalid([&] { s.append("s", expected_version::any(), batch); }, "nil id");
  }
  SECTION("the same id twice in one batch") {
    batch[2].id = batch[0].id;
    check_invalid([&] { s.append("s", expected_version::any(), batch); }, "appears twice");
  }
  SECTION("payload over the limit") {
    batch[1].payload.assign(max_payload_size + 1, 'p');
    check_invalid([&] { s.append("s", expected_version::any(), batch); }, "payload");
  }
  SECTION("metadata that is not UTF-8") {
    batch[2].metadata.properties["k"] = "\xff\xfe";
    check_invalid([&] { s.append("s", expected_version::any(), batch); }, "UTF-8");
  }
  SECTION("unknown encoding") {
    batch[0].encoding = static_cast<payload_encoding>(9);
    check_invalid([&] { s.append("s", expected_version::any(), batch); }, "encoding");
  }
  SECTION("empty batch") {
    check_invalid([&] { s.append("s", expected_version::any(), std::span<const event_data>{}); },
                  "at least one event");
  }
  CHECK(s.head_position() == 0);
  CHECK(s.stream_version("s") == 0);
  CHECK(s.append("s", expected_version::no_stream(), make_events(3)).written);
}

TEST_CASE("a read of zero events is rejected", "[bad_input]") {
  store_fixture f;
  check_invalid([&] { f.store().read_stream("s", 1, read_direction::forward, 0); }, "max_count");
  check_invalid([&] { f.store().read_all(1, 0); }, "max_count");
  read_filter bad{{""}, ""};
  check_invalid([&] { f.store().read_all(1, 10, bad); }, "event type is empty");
}

TEST_CASE("a malformed store URI is rejected", "[bad_input]") {
  CHECK_THROWS_AS(open_store("no-scheme-here"), invalid_argument);
  CHECK_THROWS_AS(open_store("ftp:somewhere"), invalid_argument);
  CHECK_THROWS_AS(open_store("sqlite:"), invalid_argument);
  check_invalid([] { open_store("postgres2:x"); }, "unknown scheme 'postgres2'");
}

TEST_CASE("malformed URI options are rejected with the option named", "[bad_input]") {
  auto [uri, text] = GENERATE(table<std::string, std::string>({
      {"segment:dir?segment_size=big", "needs a number"},
      {"segment:dir?durability=sometimes", "durability must be"},
      {"segment:dir?repair_by_truncation=yes", "true or false"},
      {"segment:dir?no_such_option=1", "unknown store URI option 'no_such_option'"},
      {"segment:dir?=1", "is not KEY=VALUE"},
      {"segment:?segment_size=4096", "needs a directory"},
      {"sqlite:db?sqlite_busy_timeout_ms=-1", "needs a number"},
      {"sqlite:db?poll_interval_ms=99999999999", "over a day"},
      {std::string("sqlite:d\0b", 10), "NUL"},
  }));
  CAPTURE(uri);
  check_invalid([&] { open_store(uri); }, text);
}

TEST_CASE("an event over the configured max_payload_size is refused, one at the limit is kept",
          "[bad_input]") {
  test::temp_dir dir;
  store_options options;
  options.max_payload_size = 1000;
  auto store = open_store(test::backend_uri(dir), options);
  auto batch = make_events(2);
  batch[1].payload = "\"" + std::string(999, 'p') + "\"";  // 1001 bytes
  check_invalid([&] { store->append("s", expected_version::any(), batch); },
                "payload of 1001 bytes; the limit is 1000 (max_payload_size)");
  CHECK(store->head_position() == 0);
  batch[1].payload.pop_back();
  batch[1].payload.back() = '"';  // 1000 bytes
  CHECK(store->append("s", expected_version::any(), batch).last_position == 2);
  CHECK(store->read_stream("s")[1].payload.size() == 1000);
}

TEST_CASE("max_payload_size outside 1 to 16 MiB is refused before anything is created",
          "[bad_input]") {
  test::temp_dir dir;
  for (std::size_t size : {std::size_t{0}, max_payload_size + 1}) {
    store_options options;
    options.max_payload_size = size;
    check_invalid([&] { open_store(test::backend_uri(dir), options); }, "max_payload_size must be");
  }
  std::string uri = test::backend_uri(dir);
  uri += uri.find('?') == std::string::npos ? "?" : "&";
  check_invalid([&] { open_store(uri + "max_payload_size=0"); }, "max_payload_size must be");
  CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("a JSON payload nested deeper than max_payload_nesting is refused by append and "
          "append_recorded; one at the limit is kept",
          "[bad_input]") {
  store_fixture f;
  auto& s = f.store();
  auto nested = [](std::size_t depth) {
    return std::string(depth, '[') + "1" + std::string(depth, ']');
  };
  event_data deep = make_event();
  deep.payload = nested(max_payload_nesting + 1);
  check_invalid([&] { s.append("s", expected_version::any(), deep); }, "nested more than 256");
  // Far deeper than any recursive reader survives: refused after reading a prefix of it.
  deep.payload = nested(100000);
  check_invalid([&] { s.append("s", expected_version::any(), deep); }, "nested more than 256");
  recorded_event recorded;
  recorded.position = 1;
  recorded.stream_id = "s";
  recorded.stream_version = 1;
  recorded.type = "test.happened";
  recorded.id = uuid::v7();
  recorded.payload = nested(max_payload_nesting + 1);
  check_invalid([&] { append_recorded(s, std::span(&recorded, 1)); }, "nested more than 256");
  CHECK(s.head_position() == 0);

  // Brackets inside strings do not count, and binary payloads are not JSON.
  event_data kept = make_event();
  kept.payload = "{\"text\":\"" + std::string(1000, '[') + "\"," + "\"deep\":" +
                 nested(max_payload_nesting - 1) + "}";
  event_data binary = make_event();
  binary.encoding = payload_encoding::binary;
  binary.payload = std::string(1000, '[');
  CHECK(s.append("s", expected_version::no_stream(), std::vector{kept, binary}).written);
  CHECK(s.read_stream("s").at(0).payload == kept.payload);
}
