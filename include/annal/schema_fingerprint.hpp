// The schema fingerprint of an aggregate state: a hash of its reflected shape, so a snapshot is
// never decoded into a state type that changed since it was taken.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "annal/json.hpp"
#include "annal/uuid.hpp"

namespace annal {

namespace detail {

template <class T>
void describe_schema(std::string& out);

template <class T, std::size_t... I>
void describe_fields(std::string& out, std::index_sequence<I...>) {
  out += '{';
  (
      [&] {
        out += field_names<T>()[I];
        out += ':';
        describe_schema<std::remove_cvref_t<decltype(get_field<I>(std::declval<T&>()))>>(out);
        out += ';';
      }(),
      ...);
  out += '}';
}

// Appends a canonical text form of T's shape: field names and kinds, recursively, and the names
// and values of enums. Struct names are left out, so renaming a type keeps its snapshots.
template <class T>
void describe_schema(std::string& out) {
  if constexpr (std::is_same_v<T, bool>) {
    out += "bool";
  } else if constexpr (is_integer<T>) {
    out += std::is_signed_v<T> ? 'i' : 'u';
    out += std::to_string(sizeof(T) * 8);
  } else if constexpr (std::is_floating_point_v<T>) {
    out += 'f';
    out += std::to_string(sizeof(T) * 8);
  } else if constexpr (std::is_same_v<T, std::string>) {
    out += "string";
  } else if constexpr (std::is_same_v<T, uuid>) {
    out += "uuid";
  } else if constexpr (is_system_time<T>) {
    out += "time";
  } else if constexpr (std::is_enum_v<T>) {
    out += "enum{";
    for (const auto& entry : enum_table<T>::entries) {
      out += entry.name;
      out += '=';
      out += std::to_string(static_cast<long long>(entry.value));
      out += ';';
    }
    out += '}';
  } else if constexpr (is_personal<T>) {
    out += "personal<";
    describe_schema<typename T::value_type>(out);
    out += '>';
  } else if constexpr (is_optional<T>) {
    out += "optional<";
    describe_schema<typename T::value_type>(out);
    out += '>';
  } else if constexpr (is_vector<T>) {
    out += "vector<";
    describe_schema<typename T::value_type>(out);
    out += '>';
  } else if constexpr (is_std_array<T>) {
    out += "array<" + std::to_string(std::tuple_size_v<T>) + ',';
    describe_schema<typename T::value_type>(out);
    out += '>';
  } else if constexpr (is_map<T>) {
    out += "map<";
    describe_schema<typename T::key_type>(out);
    out += ',';
    describe_schema<typename T::mapped_type>(out);
    out += '>';
  } else if constexpr (is_json_type<T>) {
    out += "json";
  } else if constexpr (has_custom_form<T>) {
    // A custom JSON form is opaque to reflection: its C++ name stands for its shape.
    out += "custom:";
    out += type_name<T>();
  } else {
    static_assert(is_plain_aggregate<T>,
                  "annal: a snapshot state must be made of plain aggregate structs and the field "
                  "types the codec supports (see docs/codec.md)");
    describe_fields<T>(out, std::make_index_sequence<field_count<T>>());
  }
}

template <class T>
concept has_snapshot_version = requires {
  { T::snapshot_version } -> std::convertible_to<long long>;
};

}  // namespace detail

/// The canonical description of State's shape that schema_fingerprint() hashes, e.g.
/// `{customer:string;lines:vector<{sku:string;quantity:i32;}>;paid:bool;}`, followed by
/// `#v=N` when State declares `static constexpr int snapshot_version = N`. Computed once;
/// thread-safe.
template <class State>
const std::string& schema_description() {
  static const std::string description = [] {
    std::string out;
    detail::describe_schema<State>(out);
    if constexpr (detail::has_snapshot_version<State>) {
      out += "#v=" + std::to_string(static_cast<long long>(State::snapshot_version));
    }
    return out;
  }();
  return description;
}

/// A 64-bit FNV-1a hash of schema_description<State>(). It changes when a field is added,
/// removed, renamed or changes type, anywhere in the state, or when State::snapshot_version is
/// bumped (do that when only the apply() logic changes). Never throws; thread-safe.
template <class State>
std::uint64_t schema_fingerprint() {
  static const std::uint64_t fingerprint = [] {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (unsigned char c : schema_description<State>()) {
      hash ^= c;
      hash *= 0x100000001b3ULL;
    }
    return hash;
  }();
  return fingerprint;
}

}  // namespace annal
