// Field count, field access and compile-time field names of plain aggregate structs (Boost.PFR).
#pragma once

#include <array>
#include <boost/pfr/core.hpp>
#include <boost/version.hpp>
#include <climits>
#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>

#include "annal/detail/pretty_name.hpp"

#if !BOOST_PFR_USE_CPP17
#error "annal needs the C++17 implementation of Boost.PFR (BOOST_PFR_USE_CPP17=1)"
#endif

// Boost 1.84 gave PFR a get_name of its own: where it is there, annal reads names with it.
#if BOOST_VERSION >= 108400 && !defined(ANNAL_PFR_GET_NAME)
#define ANNAL_PFR_GET_NAME 1
#include <boost/pfr/core_name.hpp>
#endif

namespace annal::detail {

// Field count and access. boost::pfr::tuple_size and boost::pfr::get are not used: their field
// counting hits an internal compiler error in GCC 12 for any struct holding an array of a class
// with a non-trivial destructor (e.g. std::array<std::string, 3>; check_noexcept_r, in the
// `decltype(sizeof(T{}))` test of a noexcept function template). The count below gives the same
// result with a requires-expression, which GCC handles; the fields are then bound with PFR's
// structured-binding code for that count (boost::pfr::detail::tie_as_tuple).

template <class T, std::size_t... I>
constexpr bool is_initializable_with(std::index_sequence<I...>) {
  if constexpr (std::is_copy_constructible_v<T>) {
    return requires { T{boost::pfr::detail::ubiq_lref_constructor{I}...}; };
  } else {
    return requires { T{boost::pfr::detail::ubiq_rref_constructor{I}...}; };
  }
}

// The initializer counts an aggregate accepts form a range [m, count]: fewer than `count` only
// when the remaining fields can be value-initialized. Scan up to the first failure after a
// success.
template <class T, std::size_t N = 0, bool Seen = false>
constexpr std::size_t count_fields() {
  constexpr bool accepted = is_initializable_with<T>(std::make_index_sequence<N>());
  if constexpr (Seen && !accepted) {
    return N - 1;
  } else if constexpr (N > sizeof(T) * CHAR_BIT) {
    return 0;
  } else {
    constexpr bool seen = Seen || accepted;
    return count_fields<T, N + 1, seen>();
  }
}

/// The number of fields of the aggregate T (static members excluded). T must be an aggregate
/// without base classes.
template <class T>
inline constexpr std::size_t field_count = count_fields<T>();

/// A reference to field I of `value` (const when `value` is const).
template <std::size_t I, class T>
constexpr decltype(auto) get_field(T& value) noexcept {
  return boost::pfr::detail::sequence_tuple::get<I>(boost::pfr::detail::tie_as_tuple(
      value, boost::pfr::detail::size_t_<field_count<std::remove_cv_t<T>>>{}));
}

/// The declared type of field I of T, without reference (const when the field is const).
template <std::size_t I, class T>
using field_type = std::remove_reference_t<decltype(get_field<I>(std::declval<T&>()))>;

// Field names. Boost before 1.84 has no boost::pfr::get_name. We take the address of field I of an object
// that is declared but never defined, inside a constant expression, and pass that address
// (wrapped in a class-type template argument) to a function template. The compiler spells the
// argument in __PRETTY_FUNCTION__, member name included. For field `quantity` of shop::line:
//   GCC 12:
//     [with auto Wrapped = field_ptr<int>{(& fake_object<shop::line>.shop::line::quantity)}]
//   Clang 14:
//     [Wrapped = {&fake_object.quantity}]
// The name is the identifier just before the closing "}" of the argument. The object is never
// odr-used at run time, so no definition is needed, but the struct must have linkage: it must
// be declared at namespace scope (or nested in such a class); local classes fail to compile, and
// so do classes in anonymous namespaces with Clang.

#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wundefined-var-template"
#endif

/// Declared, never defined: only its address is taken, inside constant expressions.
template <class T>
extern const T fake_object;

/// A class-type non-type template argument carrying the address of one field. The argument is
/// spelled explicitly at the use (Clang 14 has no class template argument deduction for
/// aggregates).
template <class P>
struct field_ptr {
  const P* ptr;
};

template <auto Wrapped>
consteval std::string_view field_pretty_function() {
  return __PRETTY_FUNCTION__;
}

/// True for the characters that end an identifier when scanning a compiler's text backwards.
consteval bool is_name_boundary(char c) {
  return c == ':' || c == '.' || c == '(' || c == ' ' || c == '&' || c == '>' || c == '{' ||
         c == '<' || c == ',' || c == '*';
}

/// Extracts the member name from the __PRETTY_FUNCTION__ text of field_pretty_function; returns
/// an empty view when the text has an unexpected shape.
consteval std::string_view parse_field_name(std::string_view text) {
  std::size_t close = text.rfind('}');
  if (close == std::string_view::npos) return {};
  std::size_t end = close;
  while (end > 0 && text[end - 1] == ')') --end;
  std::size_t begin = end;
  while (begin > 0 && !is_name_boundary(text[begin - 1])) --begin;
  std::string_view name = text.substr(begin, end - begin);
  return is_identifier(name) ? name : std::string_view{};
}

template <class T, std::size_t I>
consteval std::string_view raw_field_name() {
#if ANNAL_PFR_GET_NAME
  return boost::pfr::get_name<I, T>();
#else
  using pointee = std::remove_cvref_t<decltype(get_field<I>(fake_object<T>))>;
  return parse_field_name(
      field_pretty_function<field_ptr<pointee>{&get_field<I>(fake_object<T>)}>());
#endif
}

template <auto Wrapped>
struct constant_probe {};

/// True when the address of field I of T is a constant expression. False for a bit-field, and
/// for every field of a struct with a reference member (binding the fields reads the
/// reference).
template <class T, std::size_t I>
concept field_address_is_constant = requires {
  typename constant_probe<field_ptr<std::remove_cvref_t<decltype(get_field<I>(fake_object<T>))>>{
      &get_field<I>(fake_object<T>)}>;
};

template <class T, std::size_t... I>
constexpr bool field_addresses_are_constant(std::index_sequence<I...>) {
  return (field_address_is_constant<T, I> && ...);
}

template <class T>
concept has_fields_member = requires {
  &T::fields;
};

/// True when T declares `static constexpr std::array<std::string_view, N> fields` (a static
/// member: a data member that happens to be called `fields` does not count).
template <class T>
concept has_fields_override =
    has_fields_member<T> && !std::is_member_pointer_v<decltype(&T::fields)>;

template <class T>
inline constexpr bool is_field_name_array = false;
template <std::size_t N>
inline constexpr bool is_field_name_array<std::array<std::string_view, N>> = true;

consteval bool names_are_valid(const std::string_view* names, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    if (names[i].empty()) return false;
    for (std::size_t j = 0; j < i; ++j) {
      if (names[i] == names[j]) return false;
    }
  }
  return true;
}

/// The parsed names of T's fields, copied into static storage of their own (the compiler's
/// __PRETTY_FUNCTION__ text must not be referenced at run time).
template <class T, class Indices = std::make_index_sequence<field_count<T>>>
struct reflected_field_names;

template <class T, std::size_t... I>
struct reflected_field_names<T, std::index_sequence<I...>> {
  // Views into the compiler's text: used only during constant evaluation, never stored.
  static constexpr std::array<std::string_view, sizeof...(I)> raw() {
    return {raw_field_name<T, I>()...};
  }
  static constexpr const std::array<std::string_view, sizeof...(I)>& names =
      packed_names<&reflected_field_names::raw>::views;
  static_assert(names_are_valid(names.data(), names.size()),
                "annal: could not read the field names of this struct from the compiler; declare "
                "it at namespace scope, or give it a static constexpr "
                "std::array<std::string_view, N> fields member naming each field");
};

/// The JSON names of the fields of the aggregate struct T, in declaration order, computed at
/// compile time. The views point to static storage and stay valid for the whole program.
///
/// The names are the C++ member names, read with the technique described above; T must be a
/// plain aggregate at namespace scope (or nested in a class at namespace scope) so it has
/// linkage. Local classes do not work, and Clang rejects classes in anonymous namespaces.
///
/// Override: if T declares `static constexpr std::array<std::string_view, N> fields` with one
/// non-empty, unique name per field (N equal to the field count), those names are used instead
/// and the compiler technique is not used at all: for JSON names that are not C++ identifiers,
/// for renaming a field in C++ while keeping its stored name, or for a struct the technique
/// cannot read (e.g. in an anonymous namespace with Clang). Never throws; thread-safe (the
/// result is a constant).
template <class T>
constexpr const std::array<std::string_view, field_count<T>>& field_names() {
  constexpr std::size_t count = field_count<T>;
  if constexpr (has_fields_override<T>) {
    using override_type = std::remove_cvref_t<decltype(T::fields)>;
    static_assert(is_field_name_array<override_type>,
                  "annal: T::fields must be a static constexpr std::array<std::string_view, N>");
    if constexpr (is_field_name_array<override_type>) {
      static_assert(std::tuple_size_v<override_type> == count,
                    "annal: T::fields must name every field of the struct, in declaration order");
      static_assert(names_are_valid(T::fields.data(), T::fields.size()),
                    "annal: the names in T::fields must be non-empty and unique");
      return T::fields;
    }
  } else {
    return reflected_field_names<T>::names;
  }
}

}  // namespace annal::detail

#if defined(__clang__)
#pragma clang diagnostic pop
#endif
