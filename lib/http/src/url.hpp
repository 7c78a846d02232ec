// Percent-decoding of request targets: the path and the query parameters.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace annal::http::detail {

/// `text` with each %XX replaced by its byte, and "+" by a space when `plus_is_space` (query
/// strings). nullopt when a "%" is not followed by two hex digits. Never throws but bad_alloc.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

/// The path and the query of a request target, split at the first "?" (the query without it).
struct target_parts {
  std::string_view path;
  std::string_view query;
};
target_parts split_target(std::string_view target) noexcept;

/// "a=1&b=&c" -> {a,1},{b,""},{c,""}, each part decoded; empty parts are skipped. nullopt when
/// a part's percent-encoding is malformed.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query);

}  // namespace annal::http::detail
