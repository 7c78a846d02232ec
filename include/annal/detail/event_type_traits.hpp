// What an event struct declares about itself: its stored type name and the version of its shape.
#pragma once

#include <cstdint>
#include <string_view>
#include <type_traits>

#include "annal/event.hpp"
#include "annal/json.hpp"

namespace annal::detail {

template <class E>
concept has_event_type_name = has_static_type_name<E>;

/// The type name of event E as a constant, checked: 1 to 256 bytes, no NUL.
template <class E>
consteval std::string_view event_type_name() {
  static_assert(has_event_type_name<E>,
                "annal: every event type needs a static constexpr std::string_view type member, "
                "e.g. static constexpr std::string_view type = \"order.created\";");
  if constexpr (has_event_type_name<E>) {
    return std::string_view(E::type);
  } else {
    return {};
  }
}

/// E declares a static `version` (a field named `version` is an ordinary field).
template <class E>
concept has_static_version = requires {
  &E::version;
}
&&!std::is_member_pointer_v<decltype(&E::version)>;

/// The version of event E's shape: its `static constexpr int version`, 1 when it has none.
/// Checked: 1 to max_type_version.
template <class E>
consteval std::uint32_t event_type_version() {
  if constexpr (has_static_version<E>) {
    static_assert(std::is_integral_v<std::remove_cvref_t<decltype(E::version)>>,
                  "annal: an event's version must be an integer constant, e.g. "
                  "static constexpr int version = 2;");
    static_assert(E::version >= 1 && E::version <= static_cast<long long>(max_type_version),
                  "annal: an event's version runs from 1 to 65535");
    return static_cast<std::uint32_t>(E::version);
  } else {
    return 1;
  }
}

consteval bool is_valid_event_type_name(std::string_view name) {
  return !name.empty() && name.size() <= 256 && name.find('\0') == std::string_view::npos;
}

template <class E, class... Events>
inline constexpr bool is_one_of = (std::is_same_v<E, Events> || ...);

}  // namespace annal::detail
