// RFC 3339 formatting and parsing of system_clock time points.
#include "annal/detail/time_text.hpp"

#include <cstdint>
#include <limits>

#include "annal/error.hpp"

namespace annal::detail {
namespace {

using nanos = std::chrono::nanoseconds;

void append_digits(std::string& out, std::int64_t value, int width) {
  char buffer[20];
  for (int i = width - 1; i >= 0; --i) {
    buffer[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(buffer, static_cast<std::size_t>(width));
}

// Reads exactly `width` digits at text[at]; -1 when they are not all digits.
int read_digits(std::string_view text, std::size_t at, std::size_t width) {
  if (at + width > text.size()) return -1;
  int value = 0;
  for (std::size_t i = at; i < at + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool expect(std::string_view text, std::size_t at, char c) {
  return at < text.size() && text[at] == c;
}

}  // namespace

std::string format_rfc3339(std::chrono::system_clock::time_point time) {
  // Work in nanoseconds whatever the clock's resolution; floor so times before 1970 keep a
  // non-negative fraction.
  auto ns = std::chrono::time_point_cast<nanos>(time);
  auto day = std::chrono::floor<std::chrono::days>(ns);
  std::chrono::year_month_day date{day};
  std::chrono::hh_mm_ss<nanos> time_of_day{ns - day};
  std::int64_t fraction = time_of_day.subseconds().count();

  int year = static_cast<int>(date.year());
  if (year < 0 || year > 9999) {
    throw invalid_argument("RFC 3339 text cannot express the year " + std::to_string(year));
  }

  std::string out;
  out.reserve(30);
  append_digits(out, year, 4);
  out += '-';
  append_digits(out, static_cast<unsigned>(date.month()), 2);
  out += '-';
  append_digits(out, static_cast<unsigned>(date.day()), 2);
  out += 'T';
  append_digits(out, time_of_day.hours().count(), 2);
  out += ':';
  append_digits(out, time_of_day.minutes().count(), 2);
  out += ':';
  append_digits(out, time_of_day.seconds().count(), 2);
  if (fraction != 0) {
    out += '.';
    if (fraction % 1'000'000 == 0) {
      append_digits(out, fraction / 1'000'000, 3);
    } else if (fraction % 1'000 == 0) {
      append_digits(out, fraction / 1'000, 6);
    } else {
      append_digits(out, fraction, 9);
    }
  }
  out += 'Z';
  return out;
}

std::optional<std::chrono::system_clock::time_point> try_parse_rfc3339(std::string_view text,
                                                                       std::string& reason) {
  int year = read_digits(text, 0, 4);
  int month = read_digits(text, 5, 2);
  int day = read_digits(text, 8, 2);
  if (year < 0 || month < 0 || day < 0 || !expect(text, 4, '-') || !expect(text, 7, '-')) {
    reason = "expected a date YYYY-MM-DD";
    return std::nullopt;
  }
  if (!expect(text, 10, 'T') && !expect(text, 10, 't')) {
    reason = "expected 'T' after the date";
    return std::nullopt;
  }
  int hour = read_digits(text, 11, 2);
  int minute = read_digits(text, 14, 2);
  int second = read_digits(text, 17, 2);
  if (hour < 0 || minute < 0 || second < 0 || !expect(text, 13, ':') || !expect(text, 16, ':')) {
    reason = "expected a time hh:mm:ss";
    return std::nullopt;
  }
  std::chrono::year_month_day date{std::chrono::year{year},
                                   std::chrono::month{static_cast<unsigned>(month)},
                                   std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) {
    reason = "no such date";
    return std::nullopt;
  }
  if (second == 60) {
    reason = "leap seconds are not supported";
    return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 59) {
    reason = "no such time of day";
    return std::nullopt;
  }

  std::size_t at = 19;
  std::int64_t fraction_ns = 0;
  if (expect(text, at, '.')) {
    ++at;
    std::size_t digits = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      if (++digits > 9) {
        reason = "more than 9 fraction digits";
        return std::nullopt;
      }
      fraction_ns = fraction_ns * 10 + (text[at] - '0');
      ++at;
    }
    if (digits == 0) {
      reason = "expected digits after '.'";
      return std::nullopt;
    }
    for (std::size_t i = digits; i < 9; ++i) fraction_ns *= 10;
  }

  std::int64_t offset_seconds = 0;
  if (expect(text, at, 'Z') || expect(text, at, 'z')) {
    ++at;
  } else if (expect(text, at, '+') || expect(text, at, '-')) {
    bool negative = text[at] == '-';
    int offset_hour = read_digits(text, at + 1, 2);
    int offset_minute = read_digits(text, at + 4, 2);
    if (offset_hour < 0 || offset_minute < 0 || !expect(text, at + 3, ':') || offset_hour > 23 ||
        offset_minute > 59) {
      reason = "expected a UTC offset +hh:mm or -hh:mm";
      return std::nullopt;
    }
    offset_seconds = (offset_hour * 60 + offset_minute) * 60;
    if (negative) offset_seconds = -offset_seconds;
    at += 6;
  } else {
    reason = "expected 'Z' or a UTC offset";
    return std::nullopt;
  }
  if (at != text.size()) {
    reason = "unexpected text after the time";
    return std::nullopt;
  }

  // Local time minus the offset is UTC. Seconds since 1970 fit easily in 64 bits for years
  // 0000-9999; the nanosecond count may not, so check before scaling.
  std::int64_t days = std::chrono::sys_days{date}.time_since_epoch().count();
  std::int64_t seconds = days * 86'400 + hour * 3'600 + minute * 60 + second - offset_seconds;
  constexpr std::int64_t max_ns = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t min_ns = std::numeric_limits<std::int64_t>::min();
  if (seconds > max_ns / 1'000'000'000 || seconds < min_ns / 1'000'000'000 ||
      seconds * 1'000'000'000 > max_ns - fraction_ns) {
    reason = "outside the range of system_clock::time_point";
    return std::nullopt;
  }
  std::int64_t total_ns = seconds * 1'000'000'000 + fraction_ns;
  auto result = std::chrono::duration_cast<std::chrono::system_clock::duration>(nanos{total_ns});
  if (nanos{result} != nanos{total_ns}) {
    reason = "more precise than system_clock::time_point";
    return std::nullopt;
  }
  return std::chrono::system_clock::time_point{result};
}

std::chrono::system_clock::time_point parse_rfc3339(std::string_view text) {
  std::string reason;
  auto time = try_parse_rfc3339(text, reason);
  if (!time) {
    throw invalid_argument("'" + std::string(text) + "' is not an RFC 3339 time: " + reason);
  }
  return *time;
}

}  // namespace annal::detail
