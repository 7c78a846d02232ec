// A read-model transaction on one SQLite connection: `{base}` table references, cached statements.
#pragma once

#include <sqlite3.h>

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/read_model_db.hpp"
#include "sqlite/connection.hpp"

namespace annal::projection_detail {

/// One prepared statement of a read model, with the binding and row access the public
/// read-model API needs. A failure that is the database's own (full, busy or locked, an I/O
/// error, out of memory, read-only, cannot open) is also noted in `database_failure`, which must
/// outlive the statement. Move-only; must not outlive its connection.
class model_statement final : public sql_row {
 public:
  /// Throws invalid_argument when `sql` does not compile or holds more than one statement.
  model_statement(sqlite::connection& c, const std::string& sql,
                  std::exception_ptr& database_failure);
  ~model_statement();
  model_statement(const model_statement&) = delete;
  model_statement& operator=(const model_statement&) = delete;

  void bind_all(sql_params params);
  /// Steps to the next row: true when one is available.
  bool step();
  void reset() noexcept;

  int column_count() const noexcept override;
  bool is_null(int column) const noexcept override;
  std::int64_t integer(int column) const noexcept override;
  double real(int column) const noexcept override;
  std::string text(int column) const override;

 private:
  [[noreturn]] void fail(int rc, const std::string& doing);

  sqlite::connection& c_;
  std::exception_ptr& database_failure_;
  sqlite3_stmt* stmt_ = nullptr;
};

/// Runs read-model SQL on a connection, preparing each distinct SQL text once. Not thread-safe.
class sql_session final : public model_session {
 public:
  /// `database_failure` is the connection's slot (see read_model_db::database_failure()).
  sql_session(sqlite::connection& c, table_map tables, std::exception_ptr& database_failure)
      : model_session(std::move(tables), database_failure), c_(c) {}

  std::int64_t execute(std::string_view sql, sql_params params = {}) override;
  std::size_t query(std::string_view sql, sql_params params,
                    const std::function<void(const sql_row&)>& on_row) override;

 private:
  struct text_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  model_statement& prepared(std::string_view sql);

  sqlite::connection& c_;
  std::unordered_map<std::string, std::unique_ptr<model_statement>, text_hash, std::equal_to<>>
      cache_;
};

}  // namespace annal::projection_detail
