// Opening a read-model database by path, through the backend table.
#pragma once

#include <memory>
#include <string>

#include "core/read_model_db.hpp"

namespace annal::projection_detail {

/// Opens the read-model database `path` names: a SQLite file or a `postgres://` URI (its
/// `?schema=NAME` picks the schema, default "annal"), through the backend table. With
/// `read_only` nothing is created and writes are refused; otherwise what is missing of the
/// database is created. Throws annal::io_error when it cannot be opened,
/// annal::invalid_argument for a malformed URI or a backend this build left out.
std::unique_ptr<read_model_db> open_database(const std::string& path, bool read_only);

}  // namespace annal::projection_detail
