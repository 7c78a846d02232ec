// RFC 3339 text for system_clock time points: "2026-11-25T06:51:40.123Z", exact round trips.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "annal/export.hpp"

namespace annal::detail {

/// Formats `time` as RFC 3339 UTC text: "2026-11-25T06:51:40Z", with a fraction of 3, 6 or 9
/// digits only when needed ("...40.123Z", "...40.123456Z", "...40.123456789Z"), so parsing the
/// text gives back the same time point. Throws annal::invalid_argument for a year outside
/// 0000-9999 (impossible with a nanosecond system_clock). Thread-safe.
ANNAL_EXPORT std::string format_rfc3339(std::chrono::system_clock::time_point time);

/// Parses RFC 3339 text: "YYYY-MM-DDTHH:MM:SS", an optional fraction of 1 to 9 digits, then
/// "Z" or an offset "+hh:mm" / "-hh:mm" ('T' and 'Z' may be lower case). Returns nullopt on
/// anything else (an invalid date, a leap second, a time outside the range of
/// system_clock::time_point) and then sets `reason` to a short explanation. Thread-safe.
ANNAL_EXPORT std::optional<std::chrono::system_clock::time_point> try_parse_rfc3339(
    std::string_view text, std::string& reason);

/// Like try_parse_rfc3339, but throws annal::invalid_argument naming the text and the reason.
ANNAL_EXPORT std::chrono::system_clock::time_point parse_rfc3339(std::string_view text);

}  // namespace annal::detail
