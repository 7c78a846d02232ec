// What an event struct declares about itself: its stored type name and the version of its shape.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
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

/// E names the field that holds its subject: `static constexpr std::string_view subject_field =
/// "customer_id";` (docs/privacy.md).
template <class E>
concept has_subject_field = requires {
  { E::subject_field } -> std::convertible_to<std::string_view>;
};

/// Sets `metadata.subject` of an encoded event E: from E's subject field when it names one (a
/// string or integer member of `payload`), else as the caller gave it. Throws
/// annal::invalid_argument when the subject field is missing, empty or not a string or integer,
/// when it disagrees with a subject the caller gave, and when the event has personal fields
/// (`personal_fields` > 0) but no subject.
template <class E>
void take_subject(const nlohmann::ordered_json& payload, std::size_t personal_fields,
                  event_metadata& metadata) {
  std::string_view type = event_type_name<E>();
  if constexpr (has_subject_field<E>) {
    std::string_view field = E::subject_field;
    auto found = payload.find(field);
    std::string subject;
    if (found != payload.end() && found->is_string()) {
      subject = found->template get<std::string>();
    } else if (found != payload.end() && found->is_number_integer()) {
      subject = found->dump();
    }
    if (subject.empty()) {
      throw invalid_argument("cannot encode '" + std::string(type) + "': its subject field '" +
                             std::string(field) + "' must be a non-empty string or an integer");
    }
    if (!metadata.subject.empty() && metadata.subject != subject) {
      throw invalid_argument("cannot encode '" + std::string(type) + "': the metadata's subject '" +
                             metadata.subject + "' is not its subject field's '" + subject + "'");
    }
    metadata.subject = std::move(subject);
  }
  if (personal_fields > 0 && metadata.subject.empty()) {
    throw invalid_argument("cannot encode '" + std::string(type) +
                           "': it has personal fields but no subject; set "
                           "event_metadata::subject or declare a subject_field");
  }
}

consteval bool is_valid_event_type_name(std::string_view name) {
  return !name.empty() && name.size() <= 256 && name.find('\0') == std::string_view::npos;
}

template <class E, class... Events>
inline constexpr bool is_one_of = (std::is_same_v<E, Events> || ...);

}  // namespace annal::detail
