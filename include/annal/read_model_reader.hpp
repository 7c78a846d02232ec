// Read-only queries of a projection read-model database, for the code that serves the model.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "annal/export.hpp"
#include "annal/read_model_sql.hpp"

namespace annal {

/// A read-only connection to a read-model database written by a projection_runner, in this or
/// another process. Query a projection's tables by their base names: each base name is a view of
/// the current build's physical table, replaced in the same transaction that swaps a finished
/// rebuild in, so a query sees either the old build or the new one, never a mix, and never waits
/// for a rebuild (see docs/projections.md, "Reading a read model").
///
/// `path` is the runner's read_model_path: a SQLite file, or a `postgres://...?schema=NAME` URI
/// (queries then use PostgreSQL's dialect, `$1, $2` placeholders, and run in read-only
/// transactions; see projection_runner).
///
/// Move-only. Not thread-safe: use one reader per thread. Throws annal::io_error when the file
/// cannot be opened or the server cannot be reached.
class ANNAL_EXPORT read_model_reader {
 public:
  explicit read_model_reader(std::string path);
  ~read_model_reader();
  read_model_reader(read_model_reader&&) noexcept;
  read_model_reader& operator=(read_model_reader&&) noexcept;

  /// Runs one query, calling `on_row` for each row, in one read snapshot; returns the number
  /// of rows. Throws annal::invalid_argument for SQL that does not compile or holds more than one
  /// statement, annal::io_error when the database fails.
  std::size_t query(std::string_view sql, sql_params params,
                    const std::function<void(const sql_row&)>& on_row);

  /// The physical table currently behind `base` of projection `projection`, or "" when the
  /// projection has no current build with that table.
  std::string current_table(std::string_view projection, std::string_view base);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace annal
