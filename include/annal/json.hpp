// Automatic JSON encoding of plain structs and standard types, with no macros or registration.
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "annal/detail/enum_names.hpp"
#include "annal/detail/field_names.hpp"
#include "annal/detail/pretty_name.hpp"
#include "annal/detail/time_text.hpp"
#include "annal/error.hpp"
#include "annal/personal.hpp"
#include "annal/uuid.hpp"

namespace annal {

namespace detail {

// ---- Type classification --------------------------------------------------------------------

template <class T>
inline constexpr bool is_json_type =
    std::is_same_v<T, nlohmann::json> || std::is_same_v<T, nlohmann::ordered_json>;

/// nlohmann::json or nlohmann::ordered_json.
template <class T>
concept json_type = is_json_type<T>;

template <class T>
inline constexpr bool is_optional = false;
template <class T>
inline constexpr bool is_optional<std::optional<T>> = true;

template <class T>
inline constexpr bool is_vector = false;
template <class T, class A>
inline constexpr bool is_vector<std::vector<T, A>> = true;

template <class T>
inline constexpr bool is_std_array = false;
template <class T, std::size_t N>
inline constexpr bool is_std_array<std::array<T, N>> = true;

template <class T>
inline constexpr bool is_map = false;
template <class K, class V, class C, class A>
inline constexpr bool is_map<std::map<K, V, C, A>> = true;
template <class K, class V, class H, class E, class A>
inline constexpr bool is_map<std::unordered_map<K, V, H, E, A>> = true;

template <class T>
inline constexpr bool is_string_map = false;
template <class V, class C, class A>
inline constexpr bool is_string_map<std::map<std::string, V, C, A>> = true;
template <class V, class H, class E, class A>
inline constexpr bool is_string_map<std::unordered_map<std::string, V, H, E, A>> = true;

template <class T>
inline constexpr bool is_unordered_map = false;
template <class K, class V, class H, class E, class A>
inline constexpr bool is_unordered_map<std::unordered_map<K, V, H, E, A>> = true;

template <class T>
inline constexpr bool is_system_time = false;
template <class D>
inline constexpr bool is_system_time<std::chrono::time_point<std::chrono::system_clock, D>> = true;

template <class T>
inline constexpr bool is_integer = std::is_integral_v<T> && !std::is_same_v<T, bool>;

template <class T>
concept has_type_member = requires {
  &T::type;
};

/// True when T declares a static `type` member convertible to std::string_view (an event); a
/// data member called `type` does not count.
template <class T>
concept has_static_type_name =
    has_type_member<T> && !std::is_member_pointer_v<decltype(&T::type)> &&
    std::is_convertible_v<decltype(T::type), std::string_view>;

/// The name used in error messages for T: its event type name, else its C++ name.
template <class T>
constexpr std::string_view default_type_name() {
  if constexpr (has_static_type_name<T>) {
    return std::string_view(T::type);
  } else {
    return type_name<T>();
  }
}

/// Converts only to proper base classes of T: `T{any_base<T>{}}` compiles only when T's first
/// aggregate element is a base class.
template <class T>
struct any_base {
  template <class U>
  requires(std::is_base_of_v<U, T> && !std::is_same_v<U, T>) operator U&() const;
};

template <class T>
concept has_base_class = requires {
  T{any_base<T>{}};
};

/// A struct whose fields annal reads with Boost.PFR: an aggregate class without base classes or
/// virtual functions.
template <class T>
concept plain_aggregate =
    std::is_class_v<T> && std::is_aggregate_v<T> && !std::is_polymorphic_v<T> && !has_base_class<T>;

template <class T>
inline constexpr bool is_plain_aggregate = plain_aggregate<T>;

/// The most fields Boost.PFR's structured-binding code handles.
inline constexpr std::size_t max_field_count = 100;

/// False for a struct with a reference member or a bit-field (see field_address_is_constant).
template <class T>
constexpr bool has_value_fields() {
  return field_addresses_are_constant<T>(std::make_index_sequence<field_count<T>>());
}

// ---- The ADL customization point ------------------------------------------------------------

namespace adl {
// These deleted declarations stop unqualified lookup here, so only argument-dependent lookup
// finds the user's to_json / from_json (nlohmann's convention).
void to_json() = delete;
void from_json() = delete;

template <class T>
concept has_ordered_to_json = requires(nlohmann::ordered_json& j, const T& value) {
  to_json(j, value);
};
template <class T>
concept has_plain_to_json = requires(nlohmann::json& j, const T& value) {
  to_json(j, value);
};
template <class T, class Json>
concept has_from_json = requires(const Json& j, T& value) {
  from_json(j, value);
};

template <class T>
void call_to_json(nlohmann::ordered_json& out, const T& value) {
  if constexpr (has_ordered_to_json<T>) {
    to_json(out, value);
  } else {
    nlohmann::json plain;
    to_json(plain, value);
    out = nlohmann::ordered_json(std::move(plain));
  }
}

template <class T, class Json>
void call_from_json(const Json& json, T& value) {
  from_json(json, value);
}
}  // namespace adl

/// True when the user provides to_json / from_json for T (found by argument-dependent lookup).
template <class T>
inline constexpr bool has_custom_to_json = adl::has_ordered_to_json<T> || adl::has_plain_to_json<T>;
template <class T>
inline constexpr bool has_custom_from_json =
    adl::has_from_json<T, nlohmann::json> || adl::has_from_json<T, nlohmann::ordered_json>;
template <class T>
inline constexpr bool has_custom_json = has_custom_to_json<T> || has_custom_from_json<T>;

/// A user's specialization of nlohmann::adl_serializer<T>: nlohmann's way to give a JSON form to
/// a type one cannot add functions beside (a library's struct). For plain aggregates only, the
/// types annal would otherwise reflect; nlohmann's own conversions of other types do not count.
template <class T>
concept has_serializer = requires(nlohmann::json& j, const nlohmann::json& cj, const T& v, T& out) {
  nlohmann::adl_serializer<T>::to_json(j, v);
  nlohmann::adl_serializer<T>::from_json(cj, out);
};
template <class T>
inline constexpr bool has_custom_serializer =
    is_plain_aggregate<T> && !is_std_array<T> && !has_custom_json<T> && has_serializer<T>;

/// True when T's JSON form is the user's, by to_json/from_json or an adl_serializer: opaque to
/// reflection.
template <class T>
inline constexpr bool has_custom_form = has_custom_json<T> || has_custom_serializer<T>;

template <class T>
inline constexpr bool dependent_false = false;

// ---- Context, paths and errors --------------------------------------------------------------

/// What an encode or decode is working on: the type name and the path of the current field.
struct json_context {
  std::string_view type_name;
  std::string path;
  /// How many annal::personal fields an encode wrote.
  std::size_t personal_fields = 0;
};

/// The members that mark an annal::personal field's JSON object (docs/codec.md).
inline constexpr const char* personal_member = "$personal";
inline constexpr const char* erased_member = "$erased";
inline constexpr const char* sealed_member = "$sealed";

inline bool is_simple_key(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

/// Appends a struct field or map key: "lines" then "lines[2].sku"; keys that are not plain
/// words are quoted: tags["a.b"].
inline void append_member(std::string& path, std::string_view name) {
  if (is_simple_key(name)) {
    if (!path.empty()) path += '.';
    path += name;
  } else {
    path += "[\"";
    path += name;
    path += "\"]";
  }
}

inline void append_index(std::string& path, std::size_t index) {
  path += '[';
  path += std::to_string(index);
  path += ']';
}

[[noreturn]] inline void fail_decode(const json_context& context, const std::string& reason) {
  throw decode_failed(std::string(context.type_name), context.path, reason);
}

[[noreturn]] inline void fail_encode(const json_context& context, const std::string& reason) {
  std::string message = "cannot encode '" + std::string(context.type_name) + "'";
  if (!context.path.empty()) message += " at field '" + context.path + "'";
  throw invalid_argument(message + ": " + reason);
}

template <class Json>
[[noreturn]] void fail_type(const json_context& context, std::string_view expected,
                            const Json& json) {
  fail_decode(context, "expected " + std::string(expected) + ", got " + json.type_name());
}

/// nlohmann's messages start with "[json.exception.type_error.302] "; drop that prefix.
inline std::string without_nlohmann_prefix(const char* what) {
  std::string_view text(what);
  if (!text.empty() && text.front() == '[') {
    std::size_t end = text.find("] ");
    if (end != std::string_view::npos) text.remove_prefix(end + 2);
  }
  return std::string(text);
}

/// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or values above
/// U+10FFFF), which JSON text requires.
inline bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
      code = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      code = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + length > n) return false;
    for (std::size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if ((length == 3 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF))) ||
        (length == 4 && (code < 0x10000 || code > 0x10FFFF))) {
      return false;
    }
    i += length;
  }
  return true;
}

// ---- Integers and floating point ------------------------------------------------------------

template <class I>
constexpr bool integer_fits(std::int64_t value) {
  if constexpr (std::is_signed_v<I>) {
    return value >= static_cast<std::int64_t>(std::numeric_limits<I>::min()) &&
           value <= static_cast<std::int64_t>(std::numeric_limits<I>::max());
  } else {
    return value >= 0 && static_cast<std::uint64_t>(value) <=
                             static_cast<std::uint64_t>(std::numeric_limits<I>::max());
  }
}

template <class I>
constexpr bool integer_fits(std::uint64_t value) {
  return value <= static_cast<std::uint64_t>(std::numeric_limits<I>::max());
}

template <class I>
std::string integer_range_text() {
  if constexpr (std::is_signed_v<I>) {
    return "[" + std::to_string(static_cast<std::int64_t>(std::numeric_limits<I>::min())) + ", " +
           std::to_string(static_cast<std::int64_t>(std::numeric_limits<I>::max())) + "]";
  } else {
    return "[0, " + std::to_string(static_cast<std::uint64_t>(std::numeric_limits<I>::max())) + "]";
  }
}

template <class I, class Json>
I decode_integer(const Json& json, const json_context& context) {
  // nlohmann keeps non-negative integers as unsigned and negative ones as signed.
  if (json.is_number_unsigned()) {
    auto value = json.template get<std::uint64_t>();
    if (!integer_fits<I>(value)) {
      fail_decode(context, std::to_string(value) + " is out of range " + integer_range_text<I>());
    }
    return static_cast<I>(value);
  }
  if (json.is_number_integer()) {
    auto value = json.template get<std::int64_t>();
    if (!integer_fits<I>(value)) {
      fail_decode(context, std::to_string(value) + " is out of range " + integer_range_text<I>());
    }
    return static_cast<I>(value);
  }
  if (json.is_number_float()) {
    // Other writers may spell integers as 3.0; accept them when the value is exact.
    double value = json.template get<double>();
    if (!std::isfinite(value) || std::trunc(value) != value) {
      fail_decode(context, "expected integer, got " + json.dump());
    }
    if (value >= 0 && value < 18446744073709551616.0) {
      auto exact = static_cast<std::uint64_t>(value);
      if (integer_fits<I>(exact)) return static_cast<I>(exact);
    } else if (value < 0 && value >= -9223372036854775808.0) {
      auto exact = static_cast<std::int64_t>(value);
      if (integer_fits<I>(exact)) return static_cast<I>(exact);
    }
    fail_decode(context, json.dump() + " is out of range " + integer_range_text<I>());
  }
  fail_type(context, "integer", json);
}

template <class F>
nlohmann::ordered_json encode_floating(F value, const json_context& context) {
  if (!std::isfinite(value)) {
    fail_encode(context, std::string(std::isnan(value) ? "NaN" : "infinity") +
                             " cannot be written as a JSON number");
  }
  if constexpr (std::is_same_v<F, float>) {
    // Widen through the shortest decimal text of the float, so 0.1f is written as 0.1 and not
    // as 0.10000000149011612; reading it back as float gives the same value.
    char buffer[32];
    auto written = std::to_chars(buffer, buffer + sizeof buffer, value);
    double widened = 0;
    std::from_chars(buffer, written.ptr, widened);
    return widened;
  } else {
    return static_cast<double>(value);
  }
}

template <class F, class Json>
F decode_floating(const Json& json, const json_context& context) {
  if (!json.is_number()) fail_type(context, "number", json);
  double value = json.template get<double>();
  if constexpr (std::is_same_v<F, float>) {
    // Values from FLT_MAX up to half an ulp above it still round to FLT_MAX (the shortest text
    // of FLT_MAX, 3.4028235e38, is such a value); beyond that they would become infinite.
    if (std::fabs(value) >= 0x1.ffffffp+127) {
      fail_decode(context, json.dump() + " is out of range for float");
    }
  }
  return static_cast<F>(value);
}

// ---- Encoding -------------------------------------------------------------------------------

template <class T>
void encode_value(const T& value, nlohmann::ordered_json& out, json_context& context);

/// Reports, with one "annal:" message, why T cannot be encoded.
template <class T>
constexpr void check_reflectable() {
  if constexpr (std::is_pointer_v<T> || std::is_same_v<T, std::string_view>) {
    static_assert(dependent_false<T>,
                  "annal: pointers and std::string_view cannot be decoded; use std::string or "
                  "a value type");
  } else if constexpr (is_map<T>) {
    static_assert(dependent_false<T>, "annal: map keys must be std::string");
  } else if constexpr (!std::is_class_v<T>) {
    static_assert(dependent_false<T>,
                  "annal: this type cannot be encoded as JSON; see docs/codec.md for the "
                  "supported types, or provide to_json/from_json for it");
  } else if constexpr (!is_plain_aggregate<T>) {
    static_assert(dependent_false<T>,
                  "annal: event and state types must be plain aggregate structs (no "
                  "constructors, base classes or virtual functions); provide to_json/from_json "
                  "for other types");
  } else if constexpr (field_count<T> > max_field_count) {
    static_assert(dependent_false<T>,
                  "annal: a struct may have at most 100 fields; group fields into nested structs");
  } else {
    static_assert(has_value_fields<T>(),
                  "annal: struct fields must not be references, bit-fields or C arrays; store "
                  "values (std::array for arrays), or provide to_json/from_json for this type");
  }
}

/// True when T is a plain aggregate that check_reflectable accepts.
template <class T>
constexpr bool is_reflectable() {
  if constexpr (is_plain_aggregate<T>) {
    if constexpr (field_count < T >> max_field_count) {
      return false;
    } else {
      return has_value_fields<T>();
    }
  } else {
    return false;
  }
}

template <class T, std::size_t... I>
void encode_struct(const T& value, nlohmann::ordered_json& out, json_context& context,
                   std::index_sequence<I...>) {
  [[maybe_unused]] const auto& names = field_names<T>();
  out = nlohmann::ordered_json::object();
  [[maybe_unused]] auto encode_field = [&](std::string_view name, const auto& field) {
    if constexpr (is_optional<std::remove_cvref_t<decltype(field)>>) {
      if (!field.has_value()) return;  // Absent optionals are omitted, not written as null.
    }
    std::size_t previous = context.path.size();
    append_member(context.path, name);
    encode_value(field, out[std::string(name)], context);
    context.path.resize(previous);
  };
  (encode_field(names[I], get_field<I>(value)), ...);
}

template <class T>
void encode_value(const T& value, nlohmann::ordered_json& out, json_context& context) {
  if constexpr (is_personal<T>) {
    ++context.personal_fields;
    out = nlohmann::ordered_json::object();
    if (value.erased()) {
      out[erased_member] = true;
    } else {
      encode_value(value.value(), out[personal_member], context);
    }
  } else if constexpr (has_custom_json<T>) {
    static_assert(has_custom_to_json<T> && has_custom_from_json<T>,
                  "annal: a type with a custom JSON form needs both to_json(nlohmann::json&, "
                  "const T&) and from_json(const nlohmann::json&, T&)");
    adl::call_to_json(out, value);
  } else if constexpr (has_custom_serializer<T>) {
    nlohmann::json plain;
    nlohmann::adl_serializer<T>::to_json(plain, value);
    out = nlohmann::ordered_json(std::move(plain));
  } else if constexpr (is_json_type<T>) {
    out = nlohmann::ordered_json(value);
  } else if constexpr (std::is_same_v<T, bool>) {
    out = value;
  } else if constexpr (is_integer<T>) {
    if constexpr (std::is_signed_v<T>) {
      out = static_cast<std::int64_t>(value);
    } else {
      out = static_cast<std::uint64_t>(value);
    }
  } else if constexpr (std::is_floating_point_v<T>) {
    static_assert(!std::is_same_v<T, long double>,
                  "annal: long double cannot be stored exactly in JSON; use double");
    out = encode_floating(value, context);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!is_valid_utf8(value)) fail_encode(context, "the string is not valid UTF-8");
    out = value;
  } else if constexpr (std::is_enum_v<T>) {
    std::string_view name = enum_name(value);
    if (!name.empty()) {
      out = name;
    } else {
      encode_value(static_cast<std::underlying_type_t<T>>(value), out, context);
    }
  } else if constexpr (is_optional<T>) {
    if (value.has_value()) {
      encode_value(*value, out, context);
    } else {
      out = nullptr;
    }
  } else if constexpr (is_vector<T> || is_std_array<T>) {
    out = nlohmann::ordered_json::array();
    std::size_t index = 0;
    std::size_t previous = context.path.size();
    for (const auto& element : value) {
      append_index(context.path, index++);
      out.emplace_back();
      encode_value(static_cast<const typename T::value_type&>(element), out.back(), context);
      context.path.resize(previous);
    }
  } else if constexpr (is_string_map<T>) {
    out = nlohmann::ordered_json::object();
    auto encode_entry = [&](const std::string& key, const auto& mapped) {
      std::size_t previous = context.path.size();
      append_member(context.path, key);
      if (!is_valid_utf8(key)) fail_encode(context, "the key is not valid UTF-8");
      encode_value(mapped, out[key], context);
      context.path.resize(previous);
    };
    if constexpr (is_unordered_map<T>) {
      // Sort the keys so the same map always gives the same text.
      std::vector<const typename T::value_type*> entries;
      entries.reserve(value.size());
      for (const auto& entry : value) entries.push_back(&entry);
      std::sort(entries.begin(), entries.end(),
                [](const auto* a, const auto* b) { return a->first < b->first; });
      for (const auto* entry : entries) encode_entry(entry->first, entry->second);
    } else {
      for (const auto& [key, mapped] : value) encode_entry(key, mapped);
    }
  } else if constexpr (is_system_time<T>) {
    out = format_rfc3339(std::chrono::time_point_cast<std::chrono::system_clock::duration>(value));
  } else if constexpr (std::is_same_v<T, uuid>) {
    out = value.to_string();
  } else {
    check_reflectable<T>();
    if constexpr (is_reflectable<T>()) {
      encode_struct(value, out, context, std::make_index_sequence<field_count<T>>());
    }
  }
}

// ---- Decoding -------------------------------------------------------------------------------

template <class T, class Json>
T decode_value(const Json& json, json_context& context);

template <class T, std::size_t I, class Json>
auto decode_field(const Json& json, json_context& context) {
  using field_t = std::remove_cv_t<detail::field_type<I, T>>;
  std::string_view name = field_names<T>()[I];
  std::size_t previous = context.path.size();
  append_member(context.path, name);
  auto found = json.find(name);
  if (found == json.end() || (is_optional<field_t> && found->is_null())) {
    if constexpr (is_optional<field_t>) {
      context.path.resize(previous);
      return field_t{};
    } else {
      fail_decode(context, "missing field");
    }
  }
  field_t result = decode_value<field_t>(*found, context);
  context.path.resize(previous);
  return result;
}

template <class T, class Json, std::size_t... I>
T decode_struct(const Json& json, json_context& context, std::index_sequence<I...>) {
  if (!json.is_object()) fail_type(context, "object", json);
  // Braced initialization evaluates left to right, so the first bad field is reported.
  return T{decode_field<T, I>(json, context)...};
}

template <class T, class Json>
T decode_value(const Json& json, json_context& context) {
  if constexpr (is_personal<T>) {
    if (!json.is_object()) fail_type(context, "personal-data object", json);
    if (auto found = json.find(personal_member); found != json.end()) {
      return T(decode_value<typename T::value_type>(*found, context));
    }
    if (json.contains(erased_member)) return T::erased_value();
    if (json.contains(sealed_member)) {
      fail_decode(context,
                  "the personal data is still encrypted: read the event through its store");
    }
    fail_decode(context, "expected a personal-data object ({\"$personal\": ...})");
  } else if constexpr (has_custom_json<T>) {
    static_assert(has_custom_to_json<T> && has_custom_from_json<T>,
                  "annal: a type with a custom JSON form needs both to_json(nlohmann::json&, "
                  "const T&) and from_json(const nlohmann::json&, T&)");
    T value{};
    try {
      adl::call_from_json(json, value);
    } catch (const nlohmann::json::exception& e) {
      fail_decode(context, without_nlohmann_prefix(e.what()));
    }
    return value;
  } else if constexpr (has_custom_serializer<T>) {
    T value{};
    try {
      nlohmann::adl_serializer<T>::from_json(nlohmann::json(json), value);
    } catch (const nlohmann::json::exception& e) {
      fail_decode(context, without_nlohmann_prefix(e.what()));
    }
    return value;
  } else if constexpr (is_json_type<T>) {
    return T(json);
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!json.is_boolean()) fail_type(context, "boolean", json);
    return json.template get<bool>();
  } else if constexpr (is_integer<T>) {
    return decode_integer<T>(json, context);
  } else if constexpr (std::is_floating_point_v<T>) {
    return decode_floating<T>(json, context);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!json.is_string()) fail_type(context, "string", json);
    return json.template get<std::string>();
  } else if constexpr (std::is_enum_v<T>) {
    if (json.is_string()) {
      const auto& name = json.template get_ref<const std::string&>();
      if (auto value = enum_value<T>(name)) return *value;
      fail_decode(context, "'" + name + "' is not an enumerator of " + std::string(type_name<T>()));
    }
    if (!json.is_number()) fail_type(context, "enumerator name or integer", json);
    return static_cast<T>(decode_integer<std::underlying_type_t<T>>(json, context));
  } else if constexpr (is_optional<T>) {
    if (json.is_null()) return T{};
    return T(decode_value<typename T::value_type>(json, context));
  } else if constexpr (is_vector<T>) {
    if (!json.is_array()) fail_type(context, "array", json);
    T result;
    result.reserve(json.size());
    std::size_t previous = context.path.size();
    std::size_t index = 0;
    for (const auto& element : json) {
      append_index(context.path, index++);
      result.push_back(decode_value<typename T::value_type>(element, context));
      context.path.resize(previous);
    }
    return result;
  } else if constexpr (is_std_array<T>) {
    if (!json.is_array()) fail_type(context, "array", json);
    constexpr std::size_t size = std::tuple_size_v<T>;
    if (json.size() != size) {
      fail_decode(context, "expected array of " + std::to_string(size) + " elements, got " +
                               std::to_string(json.size()));
    }
    T result{};
    std::size_t previous = context.path.size();
    for (std::size_t i = 0; i < size; ++i) {
      append_index(context.path, i);
      result[i] = decode_value<typename T::value_type>(json[i], context);
      context.path.resize(previous);
    }
    return result;
  } else if constexpr (is_string_map<T>) {
    if (!json.is_object()) fail_type(context, "object", json);
    T result;
    std::size_t previous = context.path.size();
    for (auto entry = json.begin(); entry != json.end(); ++entry) {
      append_member(context.path, entry.key());
      result.emplace(entry.key(), decode_value<typename T::mapped_type>(entry.value(), context));
      context.path.resize(previous);
    }
    return result;
  } else if constexpr (is_system_time<T>) {
    if (!json.is_string()) fail_type(context, "RFC 3339 time string", json);
    const auto& text = json.template get_ref<const std::string&>();
    std::string reason;
    auto time = try_parse_rfc3339(text, reason);
    if (!time) fail_decode(context, "'" + text + "' is not an RFC 3339 time: " + reason);
    auto result = std::chrono::time_point_cast<typename T::duration>(*time);
    if (result != *time) {
      fail_decode(context, "'" + text + "' is more precise than the field can hold");
    }
    return result;
  } else if constexpr (std::is_same_v<T, uuid>) {
    if (!json.is_string()) fail_type(context, "UUID string", json);
    const auto& text = json.template get_ref<const std::string&>();
    try {
      return uuid::parse(text);
    } catch (const invalid_argument&) {
      fail_decode(context, "'" + text + "' is not a UUID");
    }
  } else {
    check_reflectable<T>();
    if constexpr (is_reflectable<T>()) {
      return decode_struct<T>(json, context, std::make_index_sequence<field_count<T>>());
    }
  }
}

/// Encodes with an explicit type name for error messages (used by event_codec); counts the
/// annal::personal fields written into `*personal_fields` when it is not null.
template <class T>
nlohmann::ordered_json encode_json(const T& value, std::string_view type_name,
                                   std::size_t* personal_fields = nullptr) {
  json_context context{type_name, {}};
  nlohmann::ordered_json out;
  encode_value(value, out, context);
  if (personal_fields != nullptr) *personal_fields = context.personal_fields;
  return out;
}

}  // namespace detail

/// Encodes `value` as a JSON value, with no macros or registration:
/// - bool, integers and floating point as JSON numbers (uint64 and int64 exactly);
/// - std::string as a string; enums by enumerator name (an integer when the value has none);
/// - std::optional as its value or null (a struct field that is nullopt is left out);
/// - std::vector and std::array as arrays; std::map / std::unordered_map with std::string keys
///   as objects (keys in sorted order);
/// - std::chrono::system_clock time points as RFC 3339 UTC text; annal::uuid as canonical text;
/// - nlohmann::json values as they are;
/// - annal::personal<T> as {"$personal": value}, or {"$erased": true} when erased;
/// - plain aggregate structs as objects with one member per field, in declaration order (field
///   names are read from the compiler; see detail/field_names.hpp for the requirements).
/// A type for which `to_json(nlohmann::json&, const T&)` and `from_json(const nlohmann::json&,
/// T&)` are found by argument-dependent lookup is encoded with them instead.
/// The result is an nlohmann::ordered_json so members keep the order they were written in.
/// Throws annal::invalid_argument naming the field for a NaN or infinite number or a string that
/// is not valid UTF-8. Types that cannot be encoded fail to compile with an "annal:" message.
/// Thread-safe for distinct or unchanging values.
template <class T>
nlohmann::ordered_json to_json_value(const T& value) {
  return detail::encode_json(value, detail::default_type_name<T>());
}

/// Decodes a JSON value (nlohmann::json or nlohmann::ordered_json) into a T; the inverse of
/// to_json_value. Struct members that the struct does not have are ignored; a missing or null
/// std::optional field becomes nullopt; integers are range-checked; a floating-point field
/// accepts any JSON number; an enum accepts the enumerator name or an integer.
/// `type_name` names the value in error messages; it defaults to T::type for events and to the
/// C++ type name otherwise.
/// Throws annal::decode_failed(type_name, field_path, reason) for a missing field ("missing
/// field"), a value of the wrong JSON type ("expected string, got number"), an out-of-range
/// integer or an invalid enumerator, time or UUID; field_path looks like "lines[2].sku" or
/// "tags.vip" and is empty when the value as a whole is wrong. Thread-safe.
template <class T, detail::json_type Json>
T from_json_value(const Json& json, std::string_view type_name = detail::default_type_name<T>()) {
  detail::json_context context{type_name, {}};
  return detail::decode_value<T>(json, context);
}

}  // namespace annal
