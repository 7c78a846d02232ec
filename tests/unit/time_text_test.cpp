// Tests of RFC 3339 formatting and parsing of system_clock time points.
#include "annal/detail/time_text.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <string>

#include "annal/error.hpp"

using annal::detail::format_rfc3339;
using annal::detail::parse_rfc3339;
using annal::detail::try_parse_rfc3339;
using std::chrono::system_clock;

namespace {

system_clock::time_point at_ns(std::int64_t ns) {
  return system_clock::time_point(
      std::chrono::duration_cast<system_clock::duration>(std::chrono::nanoseconds(ns)));
}

// 2026-11-25T06:51:40Z.
constexpr std::int64_t base_ns = 1'795'589'500'000'000'000;

std::string failure_reason(std::string_view text) {
  std::string reason;
  auto parsed = try_parse_rfc3339(text, reason);
  return parsed ? std::string("parsed") : reason;
}

}  // namespace

TEST_CASE("whole seconds are written without a fraction", "[time_text]") {
  CHECK(format_rfc3339(at_ns(base_ns)) == "2026-11-25T06:51:40Z");
  CHECK(format_rfc3339(system_clock::time_point{}) == "1970-01-01T00:00:00Z");
}

TEST_CASE("fractions are written in groups of 3 digits with trailing zero groups dropped",
          "[time_text]") {
  CHECK(format_rfc3339(at_ns(base_ns + 123'000'000)) == "2026-11-25T06:51:40.123Z");
  CHECK(format_rfc3339(at_ns(base_ns + 100'000'000)) == "2026-11-25T06:51:40.100Z");
  CHECK(format_rfc3339(at_ns(base_ns + 123'456'000)) == "2026-11-25T06:51:40.123456Z");
  CHECK(format_rfc3339(at_ns(base_ns + 123'456'789)) == "2026-11-25T06:51:40.123456789Z");
  CHECK(format_rfc3339(at_ns(base_ns + 1)) == "2026-11-25T06:51:40.000000001Z");
}

TEST_CASE("times before 1970 are written with a positive fraction", "[time_text]") {
  CHECK(format_rfc3339(at_ns(-1'000'000)) == "1969-12-31T23:59:59.999Z");
  CHECK(format_rfc3339(at_ns(-86'400'000'000'000)) == "1969-12-31T00:00:00Z");
}

TEST_CASE("formatted text parses back to the same time point", "[time_text]") {
  std::mt19937_64 random(42);
  // The whole range of a nanosecond system_clock: years 1677 to 2262.
  std::uniform_int_distribution<std::int64_t> any_ns(-9'200'000'000'000'000'000,
                                                     9'200'000'000'000'000'000);
  for (int i = 0; i < 10000; ++i) {
    std::int64_t ns = any_ns(random);
    // Also exercise the 0, 3 and 6 digit forms.
    if (i % 4 == 1) ns -= ns % 1'000'000'000;
    if (i % 4 == 2) ns -= ns % 1'000'000;
    if (i % 4 == 3) ns -= ns % 1'000;
    auto time = at_ns(ns);
    std::string text = format_rfc3339(time);
    INFO(text);
    REQUIRE(parse_rfc3339(text) == time);
  }
}

TEST_CASE("fractions of 1 to 9 digits are accepted", "[time_text]") {
  CHECK(parse_rfc3339("2026-11-25T06:51:40.5Z") == at_ns(base_ns + 500'000'000));
  CHECK(parse_rfc3339("2026-11-25T06:51:40.12Z") == at_ns(base_ns + 120'000'000));
  CHECK(parse_rfc3339("2026-11-25T06:51:40.1234Z") == at_ns(base_ns + 123'400'000));
  CHECK(parse_rfc3339("2026-11-25T06:51:40.123456789Z") == at_ns(base_ns + 123'456'789));
  CHECK(failure_reason("2026-11-25T06:51:40.1234567891Z") == "more than 9 fraction digits");
  CHECK(failure_reason("2026-11-25T06:51:40.Z") == "expected digits after '.'");
}

TEST_CASE("a UTC offset is applied to give UTC", "[time_text]") {
  CHECK(parse_rfc3339("2026-11-25T08:51:40+02:00") == at_ns(base_ns));
  CHECK(parse_rfc3339("2026-11-25T01:21:40-05:30") == at_ns(base_ns));
  CHECK(parse_rfc3339("2026-11-26T06:50:40+23:59") == at_ns(base_ns));
  CHECK(parse_rfc3339("2026-11-25T06:51:40+00:00") == at_ns(base_ns));
  CHECK(parse_rfc3339("2026-11-25T06:51:40-00:00") == at_ns(base_ns));
}

TEST_CASE("lower-case t and z are accepted", "[time_text]") {
  CHECK(parse_rfc3339("2026-11-25t06:51:40z") == at_ns(base_ns));
}

TEST_CASE("malformed times are rejected with a reason", "[time_text]") {
  CHECK(failure_reason("") == "expected a date YYYY-MM-DD");
  CHECK(failure_reason("2026-11-25") == "expected 'T' after the date");
  CHECK(failure_reason("2026-11-25 06:51:40Z") == "expected 'T' after the date");
  CHECK(failure_reason("2026/11/25T06:51:40Z") == "expected a date YYYY-MM-DD");
  CHECK(failure_reason("26-11-25T06:51:40Z") == "expected a date YYYY-MM-DD");
  CHECK(failure_reason("2026-11-25T06:51Z") == "expected a time hh:mm:ss");
  CHECK(failure_reason("2026-11-25T06:51:40") == "expected 'Z' or a UTC offset");
  CHECK(failure_reason("2026-11-25T06:51:40+0200") == "expected a UTC offset +hh:mm or -hh:mm");
  CHECK(failure_reason("2026-11-25T06:51:40+24:00") == "expected a UTC offset +hh:mm or -hh:mm");
  CHECK(failure_reason("2026-11-25T06:51:40Zjunk") == "unexpected text after the time");
  CHECK(failure_reason("2026-11-25T06:51:40Z ") == "unexpected text after the time");
}

TEST_CASE("impossible dates and times of day are rejected", "[time_text]") {
  CHECK(failure_reason("2026-13-01T00:00:00Z") == "no such date");
  CHECK(failure_reason("2026-00-01T00:00:00Z") == "no such date");
  CHECK(failure_reason("2026-02-29T00:00:00Z") == "no such date");
  CHECK(failure_reason("2028-02-29T00:00:00Z") == "parsed");
  CHECK(failure_reason("2026-04-31T00:00:00Z") == "no such date");
  CHECK(failure_reason("2026-11-25T24:00:00Z") == "no such time of day");
  CHECK(failure_reason("2026-11-25T23:60:00Z") == "no such time of day");
  CHECK(failure_reason("2026-12-31T23:59:60Z") == "leap seconds are not supported");
}

TEST_CASE("times outside the range of system_clock are rejected, not wrapped", "[time_text]") {
  CHECK(failure_reason("2262-04-11T23:47:16.854775807Z") == "parsed");
  CHECK(failure_reason("2262-04-11T23:47:16.854775808Z") ==
        "outside the range of system_clock::time_point");
  CHECK(failure_reason("9999-12-31T23:59:59Z") == "outside the range of system_clock::time_point");
  CHECK(failure_reason("0001-01-01T00:00:00Z") == "outside the range of system_clock::time_point");
}

TEST_CASE("parse_rfc3339 throws invalid_argument naming the text and the reason", "[time_text]") {
  try {
    parse_rfc3339("yesterday");
    FAIL("no exception");
  } catch (const annal::invalid_argument& e) {
    CHECK(std::string(e.what()) ==
          "annal: invalid argument: 'yesterday' is not an RFC 3339 time: expected a date "
          "YYYY-MM-DD");
  }
}
