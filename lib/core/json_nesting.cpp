// json_nesting_depth(): a byte scan that skips strings and counts brackets.
#include "core/json_nesting.hpp"

#include "annal/event.hpp"

namespace annal::detail {

std::size_t json_nesting_depth(std::string_view text, std::size_t limit) noexcept {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped byte cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > deepest) {
          deepest = depth;
          if (deepest > limit) return limit + 1;
        }
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return deepest;
}

bool nests_too_deep_for_a_payload(std::string_view text) noexcept {
  return json_nesting_depth(text, max_payload_nesting) > max_payload_nesting;
}

}  // namespace annal::detail
