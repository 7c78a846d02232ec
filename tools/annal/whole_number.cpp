// parse_whole_number(): std::from_chars behind a digits-only check.
#include "whole_number.hpp"

#include <charconv>

namespace annal::cli {

std::optional<std::uint64_t> parse_whole_number(std::string_view text) noexcept {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace annal::cli
