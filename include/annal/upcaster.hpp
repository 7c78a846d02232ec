// Upcasters: how events stored in an older shape or under an older name read as today's structs.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "annal/detail/event_type_traits.hpp"
#include "annal/event.hpp"

namespace annal {

/// A type name given as a template argument, e.g. both names of
/// annal::rename<"order.placed", "order.created">. Built from a string literal only.
template <std::size_t N>
struct type_name_literal {
  char chars[N]{};
  consteval type_name_literal(const char (&text)[N]) {  // NOLINT: implicit by design
    for (std::size_t i = 0; i < N; ++i) chars[i] = text[i];
  }
  constexpr std::string_view view() const noexcept { return {chars, N - 1}; }
};

/// An event as a raw-JSON upcaster receives and returns it: a type name, the version of that
/// type's shape and the payload.
struct json_event {
  std::string type;
  std::uint32_t type_version = 1;
  nlohmann::json payload;
};

/// How a program reads the events stored as one (type, version).
enum class read_path {
  direct,   ///< an alternative of the variant has that type and version
  upcast,   ///< through upcasters
  unknown,  ///< nothing reads it
};

namespace detail {

enum class upcaster_kind { typed, json, rename };

template <class F>
struct unary_signature : std::false_type {};
template <class R, class A>
struct unary_signature<R (*)(A)> : std::true_type {
  using argument = std::remove_cvref_t<A>;
  using result = R;
};
template <class R, class A>
struct unary_signature<R (*)(A) noexcept> : unary_signature<R (*)(A)> {};

template <class T>
inline constexpr bool is_json_upcast_result =
    std::is_same_v<T, json_event> || std::is_same_v<T, std::vector<json_event>>;

}  // namespace detail

/// A typed upcaster: `Function` points to a function `Result f(const Old&)` (a captureless
/// lambda converts to one with unary +). `Old` is a struct with the old shape, declaring the
/// stored `type` and `version` it reads, like any event struct. `Result` is an event struct
/// (an alternative of the variant, or the `Old` of another typed upcaster, which then runs on
/// it: chains are struct to struct, parsed once), a std::variant of such structs, or a
/// std::vector of either (one-to-many; empty drops the event). Whether every result reaches the
/// variant is checked at compile time by the codec. What `f` throws is reported as
/// annal::upcast_failed.
template <auto Function>
struct upcast {
  static_assert(detail::unary_signature<decltype(Function)>::value,
                "annal: annal::upcast needs a pointer to a function of one argument, e.g. "
                "annal::upcast<&to_version_2> or annal::upcast<+[](const old& e) { ... }>");
  using from = typename detail::unary_signature<decltype(Function)>::argument;
  using result = typename detail::unary_signature<decltype(Function)>::result;
  static constexpr detail::upcaster_kind kind = detail::upcaster_kind::typed;
  static constexpr std::string_view from_type = detail::event_type_name<from>();
  static constexpr std::uint32_t from_version = detail::event_type_version<from>();

  static result apply(const from& old) { return Function(old); }
};

/// A raw-JSON upcaster for the events stored as type `Type` at version `Version`: `Function`
/// points to `annal::json_event f(nlohmann::json payload)` or
/// `std::vector<annal::json_event> f(nlohmann::json payload)` (one-to-many; empty drops the
/// event). What it returns is read again: by an alternative of the variant with that type and
/// version, or by another upcaster. A result nothing reads is annal::unknown_event_type when an
/// event is decoded; what `f` throws is reported as annal::upcast_failed.
template <type_name_literal Type, std::uint32_t Version, auto Function>
struct upcast_json {
  static_assert(detail::is_valid_event_type_name(Type.view()),
                "annal: an upcaster's type name must be 1 to 256 bytes long and contain no NUL");
  static_assert(Version >= 1 && Version <= max_type_version,
                "annal: an upcaster's type version runs from 1 to 65535");
  static_assert(std::is_invocable_v<decltype(Function), nlohmann::json&&>,
                "annal: a raw-JSON upcaster is a function taking the payload, nlohmann::json");
  using result = std::invoke_result_t<decltype(Function), nlohmann::json&&>;
  static_assert(detail::is_json_upcast_result<result>,
                "annal: a raw-JSON upcaster returns annal::json_event or "
                "std::vector<annal::json_event>");
  static constexpr detail::upcaster_kind kind = detail::upcaster_kind::json;
  static constexpr std::string_view from_type = Type.view();
  static constexpr std::uint32_t from_version = Version;

  static result apply(nlohmann::json&& payload) { return Function(std::move(payload)); }
};

/// Events stored under type name `From`, at any version, read as type `To` at the same version
/// (an upcaster for one (From, version) runs instead where there is one).
template <type_name_literal From, type_name_literal To>
struct rename {
  static_assert(detail::is_valid_event_type_name(From.view()) &&
                    detail::is_valid_event_type_name(To.view()),
                "annal: renamed type names must be 1 to 256 bytes long and contain no NUL");
  static_assert(From.view() != To.view(), "annal: a rename needs two different type names");
  static constexpr detail::upcaster_kind kind = detail::upcaster_kind::rename;
  static constexpr std::string_view from_type = From.view();
  /// A rename applies at every version.
  static constexpr std::uint32_t from_version = 0;
  static constexpr std::string_view to_type = To.view();
};

namespace detail {

struct upcaster_key {
  std::string_view type;
  std::uint32_t version;  // 0: every version (a rename)
};

template <std::size_t N>
consteval bool are_unique_keys(const std::array<upcaster_key, N>& keys) {
  for (std::size_t i = 0; i < N; ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (keys[i].type == keys[j].type && keys[i].version == keys[j].version) return false;
    }
  }
  return true;
}

// True when following the renames from any of them comes back to where it started.
template <std::size_t N>
consteval bool renames_loop(const std::array<upcaster_key, N>& keys,
                            const std::array<std::string_view, N>& to) {
  for (std::size_t start = 0; start < N; ++start) {
    if (keys[start].version != 0) continue;
    std::string_view at = to[start];
    for (std::size_t hops = 0; hops < N; ++hops) {
      if (at == keys[start].type) return true;
      bool moved = false;
      for (std::size_t i = 0; i < N && !moved; ++i) {
        if (keys[i].version == 0 && keys[i].type == at) {
          at = to[i];
          moved = true;
        }
      }
      if (!moved) break;
    }
  }
  return false;
}

template <class Step>
constexpr std::string_view rename_target() {
  if constexpr (Step::kind == upcaster_kind::rename) {
    return Step::to_type;
  } else {
    return {};
  }
}

}  // namespace detail

/// The upcasters of one event variant: annal::upcast, annal::upcast_json and annal::rename
/// steps, in any order. Checked at compile time: at most one upcaster per stored (type,
/// version) and one rename per type name, and no cycle of renames.
template <class... Steps>
struct upcasters {
  static constexpr std::size_t size = sizeof...(Steps);

 private:
  static constexpr std::array<detail::upcaster_key, size> keys_{
      detail::upcaster_key{Steps::from_type, Steps::from_version}...};
  static constexpr std::array<std::string_view, size> targets_{detail::rename_target<Steps>()...};

 public:
  static_assert(detail::are_unique_keys(keys_),
                "annal: two upcasters read the same stored type and version (or two renames the "
                "same type name)");
  static_assert(!detail::renames_loop(keys_, targets_), "annal: the type renames form a cycle");
};

/// The upcasters registered for `T`: an event variant, or an event struct. None unless
/// specialised. The codec of a variant applies those of the variant and those of each of its
/// alternatives, so upcasters registered for a struct apply in every variant that has it, e.g.
///
///     template <>
///     struct annal::upcasters_of<order_cancelled>
///         : annal::upcasters<annal::rename<"order.canceled", "order.cancelled">> {};
///
/// A specialisation must be visible wherever the variant is decoded: declare it beside the
/// struct or the variant, in the same header.
template <class T>
struct upcasters_of : upcasters<> {};

}  // namespace annal
