// Reading names out of the compiler's __PRETTY_FUNCTION__ text: identifiers and type names.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace annal::detail {

/// True when `name` looks like a C++ identifier: ASCII letters, digits and '_', or the UTF-8
/// bytes of an extended identifier, not starting with a digit.
consteval bool is_identifier(std::string_view name) {
  if (name.empty()) return false;
  if (name.front() >= '0' && name.front() <= '9') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || static_cast<unsigned char>(c) >= 0x80;
    if (!ok) return false;
  }
  return true;
}

template <class T>
consteval std::string_view type_pretty_function() {
  return __PRETTY_FUNCTION__;
}

/// The spelling of T in a __PRETTY_FUNCTION__ text of type_pretty_function<T>:
/// GCC "... [with T = shop::line; std::string_view = ...]", Clang "... [T = shop::line]".
consteval std::string_view parse_type_name(std::string_view text) {
  constexpr std::string_view marker = "T = ";
  std::size_t start = text.find(marker);
  if (start == std::string_view::npos) return "unknown type";
  start += marker.size();
  std::size_t end = text.find(';', start);
  if (end == std::string_view::npos) end = text.rfind(']');
  if (end == std::string_view::npos || end <= start) return "unknown type";
  return text.substr(start, end - start);
}

/// Strings read from the compiler's __PRETTY_FUNCTION__ text, copied into static storage of
/// their own so that no view into that text is kept for run time. `Raw` is a function usable in
/// constant expressions that returns a std::array<std::string_view, N> of views into the
/// compiler's text; it is called only during constant evaluation and its result is never stored.
/// `chars` holds the strings one after another (and a final '\0'); `views[i]` is string i, a
/// view into `chars` (empty where the raw string is empty).
template <auto Raw>
struct packed_names {
  static constexpr std::size_t count = Raw().size();
  static constexpr std::size_t total_size = [] {
    std::size_t size = 0;
    for (std::string_view name : Raw()) size += name.size();
    return size;
  }();
  static constexpr std::array<char, total_size + 1> chars = [] {
    std::array<char, total_size + 1> out{};
    std::size_t at = 0;
    for (std::string_view name : Raw()) {
      for (char c : name) out[at++] = c;
    }
    return out;
  }();
  static constexpr std::array<std::string_view, count> views = [] {
    std::array<std::string_view, count> out{};
    constexpr auto raw = Raw();
    std::size_t at = 0;
    for (std::size_t i = 0; i < count; ++i) {
      out[i] = std::string_view(chars.data() + at, raw[i].size());
      at += raw[i].size();
    }
    return out;
  }();
};

template <class T>
constexpr std::array<std::string_view, 1> raw_type_name() {
  return {parse_type_name(type_pretty_function<T>())};
}

/// The C++ name of T as the compiler spells it (e.g. "shop::line"), in static storage, for
/// error messages. Never throws.
template <class T>
constexpr std::string_view type_name() {
  return packed_names<&raw_type_name<T>>::views[0];
}

}  // namespace annal::detail
