// The typed event codec: a std::variant of event structs is the registry of event types.
#pragma once

#include <array>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "annal/error.hpp"
#include "annal/event.hpp"
#include "annal/json.hpp"
#include "annal/uuid.hpp"

namespace annal {

namespace detail {

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

template <std::size_t N>
consteval bool are_unique(const std::array<std::string_view, N>& names) {
  for (std::size_t i = 0; i < N; ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (names[i] == names[j]) return false;
    }
  }
  return true;
}

template <class E, class... Events>
inline constexpr bool is_one_of = (std::is_same_v<E, Events> || ...);

}  // namespace detail

/// Encodes events to event_data and decodes recorded_event back, for the event structs of
/// `Variant`, which must be a std::variant<E1, E2, ...>: the variant is the registry of event
/// types, nothing else is registered. Each alternative is a plain aggregate struct (or a type with
/// to_json/from_json, see json.hpp) with a `static constexpr std::string_view type` member
/// naming it in the store. Type names must be non-empty, at most 256 bytes, without NUL and
/// unique within the variant; these rules are checked at compile time.
///
/// Payloads are compact JSON text (see docs/codec.md for the encoding of each type). All members
/// are static; thread-safe.
template <class Variant>
class event_codec {
  static_assert(detail::dependent_false<Variant>,
                "annal: event_codec needs a std::variant of event structs, e.g. "
                "event_codec<std::variant<order_created, order_paid>>");
};

template <class... Events>
class event_codec<std::variant<Events...>> {
 public:
  using variant_type = std::variant<Events...>;

 private:
  static_assert(sizeof...(Events) > 0, "annal: the event variant needs at least one event type");
  static constexpr std::array<std::string_view, sizeof...(Events)> names_{
      detail::event_type_name<Events>()...};
  static constexpr std::array<std::uint32_t, sizeof...(Events)> versions_{
      detail::event_type_version<Events>()...};
  static_assert((detail::is_valid_event_type_name(detail::event_type_name<Events>()) && ...),
                "annal: event type names must be 1 to 256 bytes long and contain no NUL");
  static_assert(detail::are_unique(names_),
                "annal: two event types in the variant have the same type name");

  template <std::size_t I>
  static variant_type decode_alternative(const nlohmann::json& json, std::string_view type) {
    using event = std::variant_alternative_t<I, variant_type>;
    return variant_type(std::in_place_index<I>, from_json_value<event>(json, type));
  }

  using decoder = variant_type (*)(const nlohmann::json&, std::string_view);

  template <std::size_t... I>
  static constexpr std::array<decoder, sizeof...(Events)> make_decoders(std::index_sequence<I...>) {
    return {&decode_alternative<I>...};
  }

  static constexpr std::size_t not_found = sizeof...(Events);

  static constexpr std::size_t index_of(std::string_view type) noexcept {
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == type) return i;
    }
    return not_found;
  }

  template <class E>
  static constexpr void check_alternative() {
    static_assert(detail::is_one_of<E, Events...>,
                  "annal: this event type is not an alternative of the codec's variant; add it "
                  "to the std::variant");
  }

  // Throws unknown_event_type when the event was stored at another version of its type.
  static void check_version(const recorded_event& event, std::uint32_t known_version) {
    if (event.type_version != known_version) {
      throw unknown_event_type(event.type, event.type_version, known_version, event.stream_id,
                               event.position);
    }
  }

  // Parses the payload of a stored event, or throws decode_failed with an empty field path.
  static nlohmann::json parse_payload(const recorded_event& event) {
    if (event.encoding != payload_encoding::json) {
      throw decode_failed(event.type, "", "the payload is not JSON (binary encoding)");
    }
    try {
      return nlohmann::json::parse(event.payload);
    } catch (const nlohmann::json::exception& e) {
      // parse_error, and out_of_range for a number too large for a double (found by fuzzing).
      throw decode_failed(event.type, "",
                          "malformed JSON: " + detail::without_nlohmann_prefix(e.what()));
    }
  }

  template <class E>
  static event_data make_event_data(const E& event, event_metadata metadata) {
    constexpr std::string_view type = detail::event_type_name<E>();
    event_data data;
    data.type = std::string(type);
    data.type_version = detail::event_type_version<E>();
    try {
      data.payload = detail::encode_json(event, type).dump();
    } catch (const nlohmann::json::type_error& e) {
      // Only a custom to_json can get here (e.g. with a string that is not UTF-8): annal's own
      // encoding checks every string it writes.
      throw invalid_argument("cannot encode '" + std::string(type) +
                             "': " + detail::without_nlohmann_prefix(e.what()));
    }
    data.encoding = payload_encoding::json;
    data.metadata = std::move(metadata);
    return data;
  }

 public:
  /// Encodes the event held by `event`: a fresh UUIDv7 id, the alternative's type name, its
  /// fields as compact JSON text (encoding json) and `metadata`.
  /// Throws annal::invalid_argument naming the field for a NaN or infinite number or a string
  /// that is not valid UTF-8.
  static event_data encode(const variant_type& event, event_metadata metadata = {}) {
    return std::visit(
        [&](const auto& alternative) { return make_event_data(alternative, std::move(metadata)); },
        event);
  }

  /// Encodes a single event struct E, which must be an alternative of the variant (checked at
  /// compile time). Same result and errors as encode(const variant_type&, ...). A variant
  /// argument selects the overload above.
  template <class E>
  static event_data encode(const E& event, event_metadata metadata = {}) {
    check_alternative<E>();
    return make_event_data(event, std::move(metadata));
  }

  /// Decodes a stored event into the alternative named by its type.
  /// Throws annal::unknown_event_type(type, stream_id, position) when no alternative has that
  /// type name, or has it at another version than the stored one (type_version());
  /// annal::decode_failed(type, "", reason) when the encoding is not json or the
  /// payload is not well-formed JSON; annal::decode_failed(type, field_path, reason) when the
  /// JSON does not match the struct (see from_json_value). Unknown JSON members are ignored.
  static variant_type decode(const recorded_event& event) {
    std::size_t index = index_of(event.type);
    if (index == not_found) {
      throw unknown_event_type(event.type, event.stream_id, event.position);
    }
    check_version(event, versions_[index]);
    static constexpr std::array<decoder, sizeof...(Events)> decoders =
        make_decoders(std::index_sequence_for<Events...>());
    return decoders[index](parse_payload(event), names_[index]);
  }

  /// Decodes a stored event that must be of type E (an alternative of the variant). Throws
  /// annal::decode_failed(type, "", reason) when the event's type is not E::type, and otherwise
  /// the errors of decode().
  template <class E>
  static E decode_as(const recorded_event& event) {
    check_alternative<E>();
    constexpr std::string_view type = detail::event_type_name<E>();
    if (event.type != type) {
      throw decode_failed(event.type, "", "expected an event of type '" + std::string(type) + "'");
    }
    check_version(event, detail::event_type_version<E>());
    return from_json_value<E>(parse_payload(event), type);
  }

  /// True when `type` is the type name of one of the variant's alternatives. Never throws.
  static constexpr bool knows(std::string_view type) noexcept {
    return index_of(type) != not_found;
  }

  /// The type names of the alternatives, in the variant's order.
  static constexpr const std::array<std::string_view, sizeof...(Events)>& type_names() noexcept {
    return names_;
  }
};

}  // namespace annal
