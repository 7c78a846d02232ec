// The values a read-model SQL statement binds and the rows it returns, without sqlite3.h.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "annal/export.hpp"

namespace annal {

/// One SQL parameter: NULL, an integer, a real or text. Text is not copied: the viewed string must
/// live until the call that binds it returns.
class ANNAL_EXPORT sql_value {
 public:
  sql_value() noexcept = default;
  sql_value(std::nullptr_t) noexcept {}
  template <class I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool>) sql_value(I v)
  noexcept : value_(static_cast<std::int64_t>(v)) {}
  sql_value(bool v) noexcept : value_(std::int64_t{v ? 1 : 0}) {}
  sql_value(double v) noexcept : value_(v) {}
  sql_value(std::string_view v) noexcept : value_(v) {}
  sql_value(const std::string& v) noexcept : value_(std::string_view(v)) {}
  sql_value(const char* v) noexcept : value_(std::string_view(v)) {}

  /// The held value; std::monostate stands for NULL.
  const std::variant<std::monostate, std::int64_t, double, std::string_view>& get() const noexcept {
    return value_;
  }

 private:
  std::variant<std::monostate, std::int64_t, double, std::string_view> value_;
};

/// Parameters bound in order to ?1, ?2, ...
using sql_params = std::initializer_list<sql_value>;

/// One row of a query result, valid only inside the callback that receives it. Columns are
/// numbered from 0. Reading a column converts it the way SQLite does (NULL reads as 0 or "").
/// Not thread-safe.
class ANNAL_EXPORT sql_row {
 public:
  virtual int column_count() const noexcept = 0;
  virtual bool is_null(int column) const noexcept = 0;
  virtual std::int64_t integer(int column) const noexcept = 0;
  virtual double real(int column) const noexcept = 0;
  virtual std::string text(int column) const = 0;

 protected:
  ~sql_row() = default;
};

}  // namespace annal
