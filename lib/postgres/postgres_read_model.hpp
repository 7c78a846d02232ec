// A read model in a PostgreSQL schema, with one leader per projection through advisory locks.
#pragma once

#include <memory>
#include <string>

#include "core/read_model_db.hpp"

namespace annal::projection_detail {

/// Connects to the read model a `postgres://` URI names; its `?schema=NAME` (default "annal")
/// holds the runner's tables and the read-model tables, and is the connection's search_path so
/// handlers name tables without a schema. With `read_only` every transaction is read-only.
/// Throws annal::io_error when the server cannot be reached, annal::invalid_argument for a
/// malformed URI.
std::unique_ptr<read_model_db> open_postgres_read_model(const std::string& uri, bool read_only);

}  // namespace annal::projection_detail
