// How deeply JSON text nests, measured without parsing it: the guard before any recursive reader.
#pragma once

#include <cstddef>
#include <string_view>

namespace annal::detail {

/// The deepest nesting of arrays and objects in `text` (0 for a scalar, 1 for `[1]`), counting
/// brackets outside strings. Stops at the first byte that takes the depth past `limit` and then
/// returns limit + 1, so a hostile input costs no more than its length. Does not validate the
/// JSON: invalid text gives the depth of its brackets. Pure, thread-safe, never throws.
std::size_t json_nesting_depth(std::string_view text, std::size_t limit) noexcept;

/// True when the JSON payload `text` nests deeper than annal::max_payload_nesting: the payloads
/// every store refuses, and that the tool's import refuses line by line. Pure, never throws.
bool nests_too_deep_for_a_payload(std::string_view text) noexcept;

}  // namespace annal::detail
