// A read model in a SQLite database file.
#pragma once

#include <memory>
#include <string>

#include "core/read_model_db.hpp"

namespace annal::projection_detail {

/// Opens (creating, unless `read_only`) the SQLite read-model file `path`: WAL,
/// synchronous=NORMAL (a commit survives a process crash; a power cut may lose the last commits,
/// never half of one). Throws annal::io_error or annal::corruption when it cannot.
std::unique_ptr<read_model_db> open_sqlite_read_model(const std::string& path, bool read_only);

}  // namespace annal::projection_detail
