// Direct access to a store's SQLite file, bypassing annal, as an operator with the sqlite3 shell.
#pragma once

#include <string>

namespace annal::test {

/// Runs `sql` on the file; returns the SQLite result code and, when `message` is given, fills it
/// with SQLite's error text.
int raw_exec(const std::string& path, const std::string& sql, std::string* message = nullptr);

/// The first column of the first row of `sql` run on the file, as text ("" for no row or NULL).
std::string raw_query(const std::string& path, const std::string& sql);

}  // namespace annal::test
