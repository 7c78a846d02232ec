// Verifying a SQLite store's database: integrity, schema version, positions, versions, events.
#pragma once

#include <string>

#include "annal/verify.hpp"

namespace annal::verify {

/// Checks the SQLite store in the file `path` as verify_store() documents, adding what it finds
/// to `report`. Opens the database read-only. Throws annal::io_error when the file is missing or
/// cannot be opened.
void verify_sqlite_store(const std::string& path, verify_report& report);

}  // namespace annal::verify
