// A read-model transaction on one PostgreSQL connection: `{base}` references, prepared statements.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "postgres/connection.hpp"
#include "core/read_model_db.hpp"

namespace annal::projection_detail {

/// Runs read-model SQL in PostgreSQL's dialect (`$1, $2, ...` placeholders). Each distinct SQL
/// text and parameter type list is prepared once on the connection. Parameters are sent as
/// text typed int8, float8 or text (NULL untyped); rows come back as text and read the way
/// SQLite converts (NULL reads as 0 or "", a boolean as 1 or 0). Errors: annal::invalid_argument
/// for SQL the server refuses to prepare (syntax, unknown table or column, several statements)
/// or a parameter count that does not match; otherwise as pg::throw_error. Not thread-safe.
class postgres_session final : public model_session {
 public:
  /// `statement_ids` numbers the statements prepared on `c`; it is shared by every session of
  /// the connection and must outlive this one, as must `database_failure`, the connection's
  /// slot for failures of the server or the connection (see read_model_db::database_failure()).
  postgres_session(pg::connection& c, table_map tables, std::uint64_t& statement_ids,
                   std::exception_ptr& database_failure)
      : model_session(std::move(tables), database_failure), c_(c), statement_ids_(statement_ids) {}

  std::int64_t execute(std::string_view sql, sql_params params = {}) override;
  std::size_t query(std::string_view sql, sql_params params,
                    const std::function<void(const sql_row&)>& on_row) override;

 private:
  pg::result run(std::string_view sql, sql_params params);
  /// Throws for a failed prepare or execution of `sql`, noting failures of the server or the
  /// connection as the database's.
  void check(const pg::result& r, const std::string& sql);

  pg::connection& c_;
  std::uint64_t& statement_ids_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL + types -> statement name
};

}  // namespace annal::projection_detail
