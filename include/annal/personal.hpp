// annal::personal<T>: an event field holding personal data, encrypted with its subject's key.
#pragma once

#include <optional>
#include <type_traits>
#include <utility>

#include "annal/error.hpp"

namespace annal {

/// A payload field that holds personal data (docs/privacy.md). The codec writes it as
/// `{"$personal": value}`; a store encrypts that with the key of the event's subject
/// (event_metadata::subject) and decrypts it on reads. Once event_store::forget() destroyed the
/// key, the field reads as erased instead of failing. An event with personal fields needs a
/// subject: event_codec::encode() throws annal::invalid_argument without one.
///
/// A value type: copies are independent; thread-safe as T is.
template <class T>
class personal {
  static_assert(!std::is_reference_v<T> && !std::is_const_v<T>,
                "annal: personal<T> holds a plain value type");

 public:
  using value_type = T;

  /// Holds T{}.
  personal() = default;
  /// Holds `value`.
  personal(T value) : value_(std::move(value)) {}  // NOLINT: implicit, like std::optional

  /// A value whose data was erased, as reads give once the subject was forgotten.
  static personal erased_value() {
    personal p;
    p.value_.reset();
    return p;
  }

  /// True when the subject was forgotten and the value is gone.
  bool erased() const noexcept { return !value_.has_value(); }
  /// The value. Throws annal::personal_data_erased when erased().
  const T& value() const {
    if (!value_) throw personal_data_erased();
    return *value_;
  }
  /// The value, or `fallback` when erased().
  T value_or(T fallback) const { return value_ ? *value_ : std::move(fallback); }

  friend bool operator==(const personal&, const personal&) = default;

 private:
  std::optional<T> value_ = T{};
};

namespace detail {
template <class T>
inline constexpr bool is_personal = false;
template <class T>
inline constexpr bool is_personal<personal<T>> = true;
}  // namespace detail

}  // namespace annal
