// A read-model transaction on one SQLite connection: `{base}` table references, cached statements.
#pragma once

#include <sqlite3.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "annal/read_model_transaction.hpp"
#include "sqlite/connection.hpp"

namespace annal::projection_detail {

/// Maps a table base name to its physical name in one build.
using table_map = std::map<std::string, std::string, std::less<>>;

/// Replaces every `{base}` whose base is in `tables` by its physical name; other text is copied.
std::string substitute_tables(std::string_view sql, const table_map& tables);

/// One prepared statement of a read model, with the binding and row access the public
/// read-model API needs. Move-only; must not outlive its connection.
class model_statement final : public sql_row {
 public:
  /// Throws invalid_argument when `sql` does not compile or holds more than one statement.
  model_statement(sqlite::connection& c, const std::string& sql);
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
  sqlite::connection& c_;
  sqlite3_stmt* stmt_ = nullptr;
};

/// Runs read-model SQL on a connection, preparing each distinct SQL text once. Not thread-safe.
class sql_session final : public read_model_transaction {
 public:
  sql_session(sqlite::connection& c, table_map tables) : c_(c), tables_(std::move(tables)) {}

  const std::string& table(std::string_view base) const override;
  std::int64_t execute(std::string_view sql, sql_params params = {}) override;
  std::size_t query(std::string_view sql, sql_params params,
                    const std::function<void(const sql_row&)>& on_row) override;

  const table_map& tables() const noexcept { return tables_; }

 private:
  struct text_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  model_statement& prepared(std::string_view sql);

  sqlite::connection& c_;
  table_map tables_;
  std::unordered_map<std::string, std::unique_ptr<model_statement>, text_hash, std::equal_to<>>
      cache_;
};

}  // namespace annal::projection_detail
