// The handle through which a projection's handlers write its read model (SQLite or PostgreSQL).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "annal/export.hpp"
#include "annal/read_model_sql.hpp"

namespace annal {

/// The open transaction of one batch in a projection's read-model database. The runner begins
/// it, calls the projection's handlers with it for every event of the batch, writes the
/// projection's checkpoint in it and commits it: the read model and the checkpoint always agree.
///
/// SQL text may name the projection's declared tables as `{base}` (e.g. `{order_summary}`); the
/// handle replaces each such table reference by the physical table of the build being written
/// (`order_summary__v3_1`, see docs/projections.md). Braces around any other text are left as
/// they are. Statements are prepared once per build and reused, keyed by their SQL text, so pass
/// values as parameters (`?1`, `?2`, ... in SQLite; `$1`, `$2`, ... in PostgreSQL, where they are
/// typed int8, float8, text or an untyped NULL), never by formatting them into the text. SQL is in
/// the dialect of the runner's read-model database (see docs/projections.md). In PostgreSQL a
/// failed statement aborts the batch's transaction: let its error escape the handler.
///
/// Errors: annal::invalid_argument for SQL that does not compile or holds more than one
/// statement (execute, query); annal::io_error or annal::corruption when the database fails (a
/// constraint violation is an io_error carrying the database's message). A handler that lets an
/// error escape fails the event, and the projection's error policy decides what happens.
///
/// Valid only during the handler call that receives it; not thread-safe.
class ANNAL_EXPORT read_model_transaction {
 public:
  /// The physical name of a declared table in the build being written. Throws
  /// annal::invalid_argument when `base` is not one of the projection's tables.
  virtual const std::string& table(std::string_view base) const = 0;

  /// Runs one statement, binding `params` to ?1, ?2, ... and discarding any result rows;
  /// returns the number of rows it inserted, updated or deleted (triggers included).
  virtual std::int64_t execute(std::string_view sql, sql_params params = {}) = 0;

  /// Runs one query, calling `on_row` for each result row; returns the number of rows.
  virtual std::size_t query(std::string_view sql, sql_params params,
                            const std::function<void(const sql_row&)>& on_row) = 0;

  /// Runs one query and returns the first column of its first row as an integer, or nullopt
  /// when it returns no row or NULL.
  std::optional<std::int64_t> query_int(std::string_view sql, sql_params params = {}) {
    std::optional<std::int64_t> out;
    query(sql, params, [&](const sql_row& row) {
      if (!out && !row.is_null(0)) out = row.integer(0);
    });
    return out;
  }

 protected:
  ~read_model_transaction() = default;
};

}  // namespace annal
