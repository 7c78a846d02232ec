// Enum value <-> enumerator name, read from the compiler at compile time over a bounded range.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <limits>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "annal/detail/pretty_name.hpp"

namespace annal::detail {

// How it works (the technique of magic_enum). For each value V in the range, the compiler
// spells the template argument of enum_pretty_function<V> in __PRETTY_FUNCTION__:
//   a named value:    GCC "[with auto Value = shop::status::paid; ...]", Clang "[Value =
//   shop::status::paid]" an unnamed value: "(shop::status)7"
// The name is the identifier after the last "::".

/// The smallest and largest underlying values whose enumerator names are looked up (clamped to
/// the range of the enum's underlying type). Values outside have no name and are encoded as
/// integers.
inline constexpr long long enum_name_min = -128;
inline constexpr long long enum_name_max = 127;

template <auto Value>
consteval std::string_view enum_pretty_function() {
  return __PRETTY_FUNCTION__;
}

/// The enumerator name in a __PRETTY_FUNCTION__ text of enum_pretty_function; empty when the
/// value has no name.
consteval std::string_view parse_enum_name(std::string_view text) {
  constexpr std::string_view marker = "Value = ";
  std::size_t start = text.find(marker);
  if (start == std::string_view::npos) return {};
  start += marker.size();
  std::size_t end = text.find(';', start);
  if (end == std::string_view::npos) end = text.rfind(']');
  if (end == std::string_view::npos || end <= start) return {};
  std::string_view value = text.substr(start, end - start);
  if (value.front() == '(') return {};  // "(shop::status)7": no enumerator has this value.
  std::size_t colon = value.rfind(':');
  std::string_view name = colon == std::string_view::npos ? value : value.substr(colon + 1);
  return is_identifier(name) ? name : std::string_view{};
}

/// One named value of an enum.
template <class E>
struct enum_entry {
  E value;
  std::string_view name;
};

/// The named values of E within [enum_name_min, enum_name_max], in increasing order, with the
/// names copied into static storage.
template <class E>
struct enum_table {
  static_assert(std::is_enum_v<E>);
  using underlying = std::underlying_type_t<E>;
  static constexpr long long low =
      std::max<long long>(enum_name_min, std::numeric_limits<underlying>::min());
  static constexpr long long high = std::min<long long>(
      enum_name_max, static_cast<long long>(std::numeric_limits<underlying>::max()));
  static constexpr std::size_t range_size = static_cast<std::size_t>(high - low + 1);

  // Views into the compiler's text: used only during constant evaluation, never stored.
  template <std::size_t... I>
  static constexpr std::array<std::string_view, range_size> raw(std::index_sequence<I...>) {
    return {parse_enum_name(
        enum_pretty_function<static_cast<E>(static_cast<underlying>(low + I))>())...};
  }
  static constexpr std::array<std::string_view, range_size> raw_names() {
    return raw(std::make_index_sequence<range_size>());
  }
  // One view per value of the range, empty for values without a name.
  using packed = packed_names<&enum_table::raw_names>;

  static constexpr std::size_t named_count = [] {
    std::size_t count = 0;
    for (std::string_view name : packed::views) count += name.empty() ? 0 : 1;
    return count;
  }();
  static constexpr std::array<enum_entry<E>, named_count> entries = [] {
    std::array<enum_entry<E>, named_count> out{};
    std::size_t next = 0;
    for (std::size_t i = 0; i < range_size; ++i) {
      if (packed::views[i].empty()) continue;
      out[next++] = {static_cast<E>(static_cast<underlying>(low + static_cast<long long>(i))),
                     packed::views[i]};
    }
    return out;
  }();
};

/// The enumerator name of `value`, or an empty view when it has none or lies outside
/// [enum_name_min, enum_name_max]. Several enumerators with one value give the first declared
/// name. The view points to static storage. Never throws; thread-safe.
template <class E>
constexpr std::string_view enum_name(E value) noexcept {
  for (const auto& entry : enum_table<E>::entries) {
    if (entry.value == value) return entry.name;
  }
  return {};
}

/// The value of the enumerator called `name`, or nullopt when E has no such enumerator within
/// [enum_name_min, enum_name_max]. Never throws; thread-safe.
template <class E>
constexpr std::optional<E> enum_value(std::string_view name) noexcept {
  for (const auto& entry : enum_table<E>::entries) {
    if (entry.name == name) return entry.value;
  }
  return std::nullopt;
}

}  // namespace annal::detail
