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
#include <vector>

#include "annal/detail/event_tags.hpp"
#include "annal/detail/event_type_traits.hpp"
#include "annal/detail/upcast_chain.hpp"
#include "annal/error.hpp"
#include "annal/event.hpp"
#include "annal/json.hpp"
#include "annal/upcaster.hpp"
#include "annal/uuid.hpp"

namespace annal {

namespace detail {

template <std::size_t N>
consteval bool are_unique(const std::array<std::string_view, N>& names) {
  for (std::size_t i = 0; i < N; ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (names[i] == names[j]) return false;
    }
  }
  return true;
}

}  // namespace detail

/// Encodes events to event_data and decodes recorded_event back, for the event structs of
/// `Variant`, which must be a std::variant<E1, E2, ...>: the variant is the registry of event
/// types, nothing else is registered. Each alternative is a plain aggregate struct (or a type with
/// to_json/from_json, see json.hpp) with a `static constexpr std::string_view type` member
/// naming it in the store. Type names must be non-empty, at most 256 bytes, without NUL and
/// unique within the variant; these rules are checked at compile time.
///
/// Events stored at another version or under another name are read through the variant's
/// upcasters, annal::upcasters_of<Variant> (see upcaster.hpp); an event stored as an alternative's
/// type and version is read directly and never looks at them.
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
  static_assert((detail::is_valid_event_type_name(detail::event_type_name<Events>()) && ...),
                "annal: event type names must be 1 to 256 bytes long and contain no NUL");

  // The upcasters, and the table of the alternatives: type names, versions, direct decoders.
  using chain = detail::upcast_chain_of<variant_type>;
  static constexpr const auto& names_ = chain::names_;
  static_assert(detail::are_unique(names_),
                "annal: two event types in the variant have the same type name");
  static_assert(chain::shadows_nothing(),
                "annal: an upcaster reads a type and version that an alternative of the variant "
                "reads (or renames a type the variant has): it would never run");
  static_assert(chain::typed_chains_end_in_variant(),
                "annal: a typed upcaster's result is not an event type of the variant and no "
                "upcaster continues from it, or the typed upcasters form a cycle");

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

  // The slow path: an event not stored as an alternative's type and version.
  static std::vector<variant_type> decode_upcast(const recorded_event& event) {
    if (chain::path_of(event.type, event.type_version) == read_path::unknown) {
      chain::throw_unknown(event.type, event.type_version, event);
    }
    std::vector<variant_type> events;
    chain::decode(event, parse_payload(event), events);
    return events;
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
    std::size_t personal_fields = 0;
    nlohmann::ordered_json json = detail::encode_json(event, type, &personal_fields);
    detail::take_subject<E>(json, personal_fields, metadata);
    data.tags = detail::event_tags(event, type, json);
    try {
      data.payload = json.dump();
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
  /// fields as compact JSON text (encoding json) and `metadata`, whose subject is taken from the
  /// struct's `subject_field` when it declares one (docs/privacy.md), and the tags its
  /// `tag_fields` or its `tags()` function give (docs/dcb.md).
  /// Throws annal::invalid_argument naming the field for a NaN or infinite number or a string
  /// that is not valid UTF-8, when the event has annal::personal fields but no subject, and for
  /// an empty tag field.
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

  /// Calls `sink(variant_type&&)` for each event that the stored `event` decodes into: one
  /// when it is stored as an alternative's type and version, and otherwise what the upcasters
  /// make of it (none, one or several, each to be seen with the stored event's position,
  /// version, id and metadata). Throws annal::unknown_event_type naming the type and version
  /// that nothing reads (a type no alternative or upcaster has, or a version newer or older
  /// than the program reads); annal::decode_failed(type, "", reason) when the encoding is not
  /// json or the payload is not well-formed JSON; annal::decode_failed(type, field_path, reason)
  /// when the JSON does not match the struct reading it (see from_json_value; unknown JSON
  /// members are ignored); annal::upcast_failed when an upcaster throws; and what `sink` throws.
  template <class Sink>
  static void for_each_decoded(const recorded_event& event, Sink&& sink) {
    std::size_t index = chain::find_alternative(event.type, event.type_version);
    if (index != chain::none) {
      sink(chain::decode_alternative(index, parse_payload(event)));
      return;
    }
    for (auto& decoded : decode_upcast(event)) sink(std::move(decoded));
  }

  /// The events that the stored `event` decodes into (see for_each_decoded), in order. Throws
  /// the errors of for_each_decoded.
  static std::vector<variant_type> decode_all(const recorded_event& event) {
    std::vector<variant_type> events;
    for_each_decoded(event, [&](variant_type&& e) { events.push_back(std::move(e)); });
    return events;
  }

  /// Decodes a stored event that is read as exactly one event: an alternative's type and
  /// version, or what the upcasters turn it into. Throws the errors of for_each_decoded, and
  /// annal::decode_failed when the upcasters turn it into no event or several.
  static variant_type decode(const recorded_event& event) {
    std::size_t index = chain::find_alternative(event.type, event.type_version);
    if (index != chain::none) return chain::decode_alternative(index, parse_payload(event));
    auto events = decode_upcast(event);
    if (events.size() != 1) {
      throw decode_failed(event.type, "",
                          "the upcasters turn this event into " + std::to_string(events.size()) +
                              " events; read it with decode_all or for_each_decoded");
    }
    return std::move(events.front());
  }

  /// Decodes a stored event that must be read as one event of type E (an alternative of the
  /// variant). Throws annal::decode_failed(type, "", reason) when it is read as another type,
  /// and otherwise the errors of decode().
  template <class E>
  static E decode_as(const recorded_event& event) {
    check_alternative<E>();
    constexpr std::string_view type = detail::event_type_name<E>();
    if (event.type == type && event.type_version == detail::event_type_version<E>()) {
      return from_json_value<E>(parse_payload(event), type);
    }
    if (event.type != type && path_of(event.type, event.type_version) == read_path::unknown) {
      throw decode_failed(event.type, "", "expected an event of type '" + std::string(type) + "'");
    }
    variant_type decoded = decode(event);
    if (auto* e = std::get_if<E>(&decoded)) return std::move(*e);
    throw decode_failed(event.type, "", "expected an event of type '" + std::string(type) + "'");
  }

  /// How events stored as (type, version) are read: directly, through upcasters, or not at all.
  /// A raw-JSON upcaster counts as a path (what it returns is known when it runs). Never throws.
  static read_path path_of(std::string_view type, std::uint32_t type_version) noexcept {
    return chain::path_of(type, type_version);
  }

  /// The (type, version) pairs this codec reads: each alternative's, then each upcaster's
  /// (version 0 for a rename, which applies at every version).
  static std::vector<std::pair<std::string_view, std::uint32_t>> readable_keys() {
    std::vector<std::pair<std::string_view, std::uint32_t>> keys;
    for (std::size_t i = 0; i < names_.size(); ++i)
      keys.emplace_back(names_[i], chain::versions_[i]);
    for (const auto& key : chain::step_keys()) keys.push_back(key);
    return keys;
  }

  /// The stored type names this codec reads: the alternatives' names, then those only
  /// upcasters read (old names), without repeats. What a projection of the variant subscribes to.
  static std::vector<std::string> stored_type_names() {
    std::vector<std::string> names(names_.begin(), names_.end());
    for (auto& old : chain::source_type_names()) {
      if (!knows(old)) names.push_back(std::move(old));
    }
    return names;
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
