// The tags of a typed event (docs/dcb.md): named fields of the struct (tag_fields), or what a
// tags() function found by argument-dependent lookup returns.
#pragma once

#include <algorithm>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "annal/detail/field_names.hpp"
#include "annal/error.hpp"
#include "annal/personal.hpp"
#include "annal/uuid.hpp"

namespace annal::detail {

/// E declares its tag fields: `static constexpr std::array tag_fields =
/// {std::string_view("course_id"), std::string_view("student=student_id")};`. Each entry names a
/// field as the payload stores it; "field" makes the tag "field:VALUE", "prefix=field" makes
/// "prefix:VALUE".
template <class E>
concept has_tag_fields = requires {
  E::tag_fields;
};

/// E's tags come from a function `tags(const E&)` found by argument-dependent lookup, returning
/// something convertible to std::vector<std::string>.
template <class E>
concept has_tags_function = requires(const E& e) {
  { tags(e) } -> std::convertible_to<std::vector<std::string>>;
};

/// The prefix of a tag field entry: before '=', or the whole entry.
constexpr std::string_view tag_prefix_of(std::string_view entry) {
  return entry.substr(0, entry.find('='));
}
/// The field of a tag field entry: after '=', or the whole entry.
constexpr std::string_view tag_field_of(std::string_view entry) {
  auto equals = entry.find('=');
  return equals == std::string_view::npos ? entry : entry.substr(equals + 1);
}

template <class T>
inline constexpr bool is_tag_value =
    (std::is_integral_v<T> && !std::is_same_v<T, bool>) || std::is_enum_v<T> ||
    std::is_same_v<T, std::string> || std::is_same_v<T, uuid>;
/// Whether a field of type T may be a tag field: a string, an integer (not bool), an enum or a
/// uuid, or an optional or a vector of one.
template <class T>
inline constexpr bool is_tag_field_type = is_tag_value<T>;
template <class T>
inline constexpr bool is_tag_field_type<std::optional<T>> = is_tag_value<T>;
template <class T>
inline constexpr bool is_tag_field_type<std::vector<T>> = is_tag_value<T>;

/// What is wrong with E's tag_fields, checked at compile time.
enum class tag_fields_problem { none, malformed_entry, unknown_field, personal_field, field_type };

template <class E, std::size_t... I>
consteval tag_fields_problem check_tag_fields(std::index_sequence<I...>) {
  constexpr std::array<bool, sizeof...(I)> allowed{
      is_tag_field_type<std::remove_cv_t<field_type<I, E>>>...};
  constexpr std::array<bool, sizeof...(I)> personal{
      is_personal<std::remove_cv_t<field_type<I, E>>>...};
  const auto& names = field_names<E>();
  for (std::string_view entry : E::tag_fields) {
    std::string_view field = tag_field_of(entry);
    if (field.empty() || tag_prefix_of(entry).empty() ||
        field.find('=') != std::string_view::npos) {
      return tag_fields_problem::malformed_entry;
    }
    std::size_t index = names.size();
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == field) index = i;
    }
    if (index == names.size()) return tag_fields_problem::unknown_field;
    if (personal[index]) return tag_fields_problem::personal_field;
    if (!allowed[index]) return tag_fields_problem::field_type;
  }
  return tag_fields_problem::none;
}

template <class E>
consteval void require_valid_tag_fields() {
  static_assert(!(has_tag_fields<E> && has_tags_function<E>),
                "annal: declare an event's tags either with tag_fields or with a tags() "
                "function, not both");
  if constexpr (has_tag_fields<E>) {
    constexpr auto problem = check_tag_fields<E>(std::make_index_sequence<field_count<E>>());
    static_assert(problem != tag_fields_problem::malformed_entry,
                  "annal: each entry of tag_fields is \"field\" or \"prefix=field\"");
    static_assert(problem != tag_fields_problem::unknown_field,
                  "annal: an entry of tag_fields names no field of the event (use the name the "
                  "payload stores)");
    static_assert(problem != tag_fields_problem::personal_field,
                  "annal: a personal field cannot be a tag field: tags are stored in the clear");
    static_assert(problem != tag_fields_problem::field_type,
                  "annal: a tag field must be a string, an integer, an enum or a uuid, or an "
                  "optional or a vector of one");
  }
}

/// The tags of event E: from its tag_fields, read from its encoded `payload` (a string as it is,
/// an integer in decimal, each element of an array, nothing for null or an absent member), or
/// from its tags() function; sorted, without repeats; none when E declares neither. Throws
/// annal::invalid_argument naming the type and field for an empty value (appending checks the
/// tags' other rules).
template <class E>
std::vector<std::string> event_tags(const E& event, std::string_view type,
                                    const nlohmann::ordered_json& payload) {
  require_valid_tag_fields<E>();
  std::vector<std::string> result;
  if constexpr (has_tag_fields<E>) {
    for (std::string_view entry : E::tag_fields) {
      std::string_view field = tag_field_of(entry);
      auto add = [&](const nlohmann::ordered_json& value) {
        std::string text = value.is_string() ? value.template get<std::string>() : value.dump();
        if (text.empty()) {
          throw invalid_argument("cannot encode '" + std::string(type) + "': its tag field '" +
                                 std::string(field) + "' is empty");
        }
        result.push_back(std::string(tag_prefix_of(entry)) + ":" + text);
      };
      auto found = payload.find(field);
      if (found == payload.end() || found->is_null()) continue;
      if (found->is_array()) {
        for (const auto& element : *found) add(element);
      } else {
        add(*found);
      }
    }
  } else if constexpr (has_tags_function<E>) {
    result = tags(event);
  }
  std::sort(result.begin(), result.end());
  result.erase(std::unique(result.begin(), result.end()), result.end());
  return result;
}

}  // namespace annal::detail
