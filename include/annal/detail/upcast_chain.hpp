// Runs a variant's upcasters on a stored event the variant does not read directly.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "annal/detail/event_type_traits.hpp"
#include "annal/error.hpp"
#include "annal/event.hpp"
#include "annal/json.hpp"
#include "annal/upcaster.hpp"

namespace annal::detail {

template <class T>
inline constexpr bool is_std_variant = false;
template <class... T>
inline constexpr bool is_std_variant<std::variant<T...>> = true;

template <class Step>
struct typed_upcast_source {
  using type = void;
};
template <auto Function>
struct typed_upcast_source<upcast<Function>> {
  using type = typename upcast<Function>::from;
};

/// The upcasters `Steps` of the event variant `Variant` (see upcaster.hpp): compile-time checks
/// of the chains, and the slow path of event_codec::decode for events the variant does not read
/// as stored. All members are static; thread-safe.
template <class Variant, class... Steps>
class upcast_chain;

template <class... Events, class... Steps>
class upcast_chain<std::variant<Events...>, Steps...> {
 public:
  using variant_type = std::variant<Events...>;

 private:
  using alternative_decoder = variant_type (*)(const nlohmann::json&);

  template <std::size_t I>
  static variant_type decode_as_alternative(const nlohmann::json& payload) {
    using event = std::variant_alternative_t<I, variant_type>;
    return variant_type(std::in_place_index<I>, from_json_value<event>(payload, names_[I]));
  }

  template <std::size_t... I>
  static constexpr std::array<alternative_decoder, sizeof...(Events)> make_decoders(
      std::index_sequence<I...>) {
    return {&decode_as_alternative<I>...};
  }

 public:
  /// What find_alternative() and the step lookups return for "nothing".
  static constexpr std::size_t none = static_cast<std::size_t>(-1);
  /// The alternatives' type names and versions, in the variant's order.
  static constexpr std::array<std::string_view, sizeof...(Events)> names_{
      event_type_name<Events>()...};
  static constexpr std::array<std::uint32_t, sizeof...(Events)> versions_{
      event_type_version<Events>()...};

  /// The alternative stored as (type, version), or none. Never throws.
  static constexpr std::size_t find_alternative(std::string_view type,
                                                std::uint32_t version) noexcept {
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == type && versions_[i] == version) return i;
    }
    return none;
  }

  /// Decodes `payload` as alternative `index` (from find_alternative()). Throws decode_failed
  /// naming the field.
  static variant_type decode_alternative(std::size_t index, const nlohmann::json& payload) {
    static constexpr auto decoders = make_decoders(std::index_sequence_for<Events...>());
    return decoders[index](payload);
  }

 private:
  using step_list = std::tuple<Steps...>;
  static constexpr std::size_t step_count = sizeof...(Steps);
  static constexpr std::array<std::string_view, step_count> step_types_{Steps::from_type...};
  static constexpr std::array<std::uint32_t, step_count> step_versions_{Steps::from_version...};

  template <class T, std::size_t... I>
  static constexpr std::size_t find_typed_step(std::index_sequence<I...>) {
    std::size_t found = none;
    ((std::is_same_v<typename typed_upcast_source<std::tuple_element_t<I, step_list>>::type, T>
          ? (found = I)
          : found),
     ...);
    return found;
  }

  /// The typed upcaster reading struct T, or none.
  template <class T>
  static constexpr std::size_t typed_step_for =
      find_typed_step<T>(std::index_sequence_for<Steps...>());

  template <std::size_t Depth, class... T>
  static consteval bool every_alternative_reaches(const std::variant<T...>*) {
    return (reaches<T, Depth>() && ...);
  }

  // True when a value of type T ends, through at most step_count typed upcasters, as events of
  // the variant.
  template <class T, std::size_t Depth>
  static consteval bool reaches() {
    if constexpr (Depth > step_count) {
      return false;
    } else if constexpr (is_vector<T>) {
      return reaches<typename T::value_type, Depth>();
    } else if constexpr (is_std_variant<T>) {
      return every_alternative_reaches<Depth>(static_cast<const T*>(nullptr));
    } else if constexpr (is_one_of<T, Events...>) {
      return true;
    } else if constexpr (typed_step_for<T> != none) {
      return reaches<typename std::tuple_element_t<typed_step_for<T>, step_list>::result,
                     Depth + 1>();
    } else {
      return false;
    }
  }

  template <class Step>
  static consteval bool is_checked() {
    for (std::size_t i = 0; i < names_.size(); ++i) {
      bool same_type = names_[i] == Step::from_type;
      if (same_type && (Step::from_version == 0 || Step::from_version == versions_[i])) {
        return false;
      }
    }
    return true;
  }

  template <class Step>
  static consteval bool reaches_variant() {
    if constexpr (Step::kind == upcaster_kind::typed) {
      return reaches<typename Step::result, 1>();
    } else {
      return true;
    }
  }

  // Where an upcaster is: the event being read, and its type, version and payload so far.
  struct cursor {
    const recorded_event& stored;
    std::string type;
    std::uint32_t version;
    nlohmann::json payload;
  };

  // Runs an upcaster's function; what it throws becomes upcast_failed.
  template <class Function>
  static auto guarded(const recorded_event& stored, std::string_view type, std::uint32_t version,
                      Function&& function) {
    try {
      return function();
    } catch (const std::exception& e) {
      throw upcast_failed(std::string(type), version, stored.stream_id, stored.position, e.what());
    } catch (...) {
      throw upcast_failed(std::string(type), version, stored.stream_id, stored.position,
                          "an exception that is not a std::exception");
    }
  }

  template <class T>
  static void emit(const recorded_event& stored, T&& value, std::vector<variant_type>& out) {
    using U = std::remove_cvref_t<T>;
    if constexpr (is_vector<U>) {
      for (auto& element : value) emit(stored, std::move(element), out);
    } else if constexpr (is_std_variant<U>) {
      std::visit([&](auto& alternative) { emit(stored, std::move(alternative), out); }, value);
    } else if constexpr (is_one_of<U, Events...>) {
      out.emplace_back(std::in_place_type<U>, std::move(value));
    } else if constexpr (typed_step_for<U> != none) {
      using step = std::tuple_element_t<typed_step_for<U>, step_list>;
      emit(stored,
           guarded(stored, step::from_type, step::from_version, [&] { return step::apply(value); }),
           out);
    } else {
      static_assert(dependent_false<U>, "annal: no upcaster reads this result");
    }
  }

  // Runs step I on the cursor: true when it emitted its events, false when the cursor holds
  // what to read next.
  template <std::size_t I>
  static bool run_step(cursor& at, std::vector<variant_type>& out, std::size_t budget) {
    using step = std::tuple_element_t<I, step_list>;
    if constexpr (step::kind == upcaster_kind::rename) {
      at.type = std::string(step::to_type);
      return false;
    } else if constexpr (step::kind == upcaster_kind::typed) {
      auto old = from_json_value<typename step::from>(at.payload, step::from_type);
      emit(at.stored, std::move(old), out);
      return true;
    } else {
      auto result = guarded(at.stored, at.type, at.version,
                            [&] { return step::apply(std::move(at.payload)); });
      if constexpr (std::is_same_v<decltype(result), json_event>) {
        at.type = std::move(result.type);
        at.version = result.type_version;
        at.payload = std::move(result.payload);
        return false;
      } else {
        for (auto& event : result) {
          cursor next{at.stored, std::move(event.type), event.type_version,
                      std::move(event.payload)};
          read(next, out, budget);
        }
        return true;
      }
    }
  }

  using step_runner = bool (*)(cursor&, std::vector<variant_type>&, std::size_t);

  template <std::size_t... I>
  static constexpr std::array<step_runner, step_count> make_runners(std::index_sequence<I...>) {
    return {&run_step<I>...};
  }

  // The upcaster for (type, version): one for that version, else a rename of the type.
  static std::size_t find_step(std::string_view type, std::uint32_t version) noexcept {
    std::size_t rename = none;
    for (std::size_t i = 0; i < step_count; ++i) {
      if (step_types_[i] != type) continue;
      if (step_versions_[i] == version) return i;
      if (step_versions_[i] == 0) rename = i;
    }
    return rename;
  }

  [[noreturn]] static void throw_unreadable(const cursor& at) {
    throw_unknown(at.type, at.version, at.stored);
  }

  // Reads the cursor to the end: no path is longer than one step per upcaster, so a longer one
  // is a cycle of raw-JSON upcasters.
  static void read(cursor& at, std::vector<variant_type>& out, std::size_t budget) {
    static constexpr auto runners = make_runners(std::index_sequence_for<Steps...>());
    for (;;) {
      std::size_t alternative = find_alternative(at.type, at.version);
      if (alternative != none) {
        out.push_back(decode_alternative(alternative, at.payload));
        return;
      }
      std::size_t step = find_step(at.type, at.version);
      if (step == none) throw_unreadable(at);
      if (budget == 0) {
        throw upcast_failed(at.type, at.version, at.stored.stream_id, at.stored.position,
                            "the upcasters form a cycle");
      }
      --budget;
      if (runners[step](at, out, budget)) return;
    }
  }

 public:
  /// Throws unknown_event_type for `type` at `version`, which nothing reads, met while reading
  /// `stored`.
  [[noreturn]] static void throw_unknown(const std::string& type, std::uint32_t version,
                                         const recorded_event& stored) {
    std::uint32_t known = 0;
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == type) known = versions_[i];
    }
    if (known == 0 && version == 1) {
      throw unknown_event_type(type, stored.stream_id, stored.position);
    }
    throw unknown_event_type(type, version, known, stored.stream_id, stored.position);
  }

  /// No upcaster reads a (type, version) an alternative of the variant reads, and no rename
  /// renames a type the variant has: such an upcaster would never run.
  static consteval bool shadows_nothing() { return (is_checked<Steps>() && ...); }

  /// Every typed upcaster's result ends as events of the variant, without a cycle.
  static consteval bool typed_chains_end_in_variant() { return (reaches_variant<Steps>() && ...); }

  /// Decodes `stored`, whose payload is `payload`, through the upcasters, appending the events it
  /// becomes to `out` (none, one or several). Throws unknown_event_type naming the type and
  /// version nothing reads, upcast_failed for an upcaster that throws or a cycle of raw-JSON
  /// upcasters, and decode_failed for a payload that does not fit the struct reading it.
  static void decode(const recorded_event& stored, nlohmann::json&& payload,
                     std::vector<variant_type>& out) {
    cursor at{stored, stored.type, stored.type_version, std::move(payload)};
    read(at, out, step_count);
  }

  /// How events stored as (type, version) are read. A raw-JSON upcaster counts as a path:
  /// what it returns is known only when it runs. Never throws.
  static read_path path_of(std::string_view type, std::uint32_t version) noexcept {
    std::string renamed;
    for (std::size_t hops = 0; hops <= step_count; ++hops) {
      if (find_alternative(type, version) != none) {
        return hops == 0 ? read_path::direct : read_path::upcast;
      }
      std::size_t step = find_step(type, version);
      if (step == none) return read_path::unknown;
      if (step_versions_[step] != 0) return read_path::upcast;
      renamed = std::string(rename_target_of(step));
      type = renamed;
    }
    return read_path::unknown;
  }

  /// The (type, version) each upcaster reads, version 0 for a rename (every version).
  static std::vector<std::pair<std::string_view, std::uint32_t>> step_keys() {
    std::vector<std::pair<std::string_view, std::uint32_t>> keys;
    for (std::size_t i = 0; i < step_count; ++i)
      keys.emplace_back(step_types_[i], step_versions_[i]);
    return keys;
  }

  /// The stored type names the upcasters read, in their order, without repeats.
  static std::vector<std::string> source_type_names() {
    std::vector<std::string> names;
    for (auto type : step_types_) {
      bool seen = false;
      for (const auto& name : names) seen = seen || name == type;
      if (!seen) names.emplace_back(type);
    }
    return names;
  }

 private:
  static constexpr std::array<std::string_view, step_count> rename_targets_{
      rename_target<Steps>()...};
  static constexpr std::string_view rename_target_of(std::size_t step) noexcept {
    return rename_targets_[step];
  }
};

template <class... Steps>
upcasters<Steps...> steps_of(const upcasters<Steps...>*);

/// The upcasters registered for T, a variant or an event struct, as upcasters<Steps...>.
template <class T>
using registered_steps = decltype(steps_of(static_cast<const upcasters_of<T>*>(nullptr)));

template <class... Lists>
struct joined_steps;
template <class... Steps>
struct joined_steps<upcasters<Steps...>> {
  using type = upcasters<Steps...>;
};
template <class... A, class... B, class... Rest>
struct joined_steps<upcasters<A...>, upcasters<B...>, Rest...>
    : joined_steps<upcasters<A..., B...>, Rest...> {};

template <class Variant>
struct variant_steps;
/// The upcasters of a variant: those registered for it, then those of each alternative.
template <class... Events>
struct variant_steps<std::variant<Events...>> {
  using type = typename joined_steps<registered_steps<std::variant<Events...>>,
                                     registered_steps<Events>...>::type;
  // Completes the joined list, which runs its checks over every upcaster together.
  static_assert(sizeof(type) > 0);
};

template <class Variant, class... Steps>
upcast_chain<Variant, Steps...> chain_of(const upcasters<Steps...>*);

/// The upcast chain of `Variant` with every upcaster registered for it and its alternatives.
template <class Variant>
using upcast_chain_of =
    decltype(chain_of<Variant>(static_cast<const typename variant_steps<Variant>::type*>(nullptr)));

}  // namespace annal::detail
