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

/// The C++ name of T as the compiler spells it (e.g. "shop::line"), in static storage, for
/// error messages. Never throws.
template <class T>
struct type_name_storage {
  static constexpr std::size_t size = parse_type_name(type_pretty_function<T>()).size();
  static constexpr std::array<char, size + 1> chars = [] {
    std::array<char, size + 1> out{};
    std::string_view name = parse_type_name(type_pretty_function<T>());
    for (std::size_t i = 0; i < size; ++i) out[i] = name[i];
    return out;
  }();
};

template <class T>
constexpr std::string_view type_name() {
  return std::string_view(type_name_storage<T>::chars.data(), type_name_storage<T>::size);
}

}  // namespace annal::detail
