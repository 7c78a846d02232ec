// The PostgreSQL backend's tables: created, checked and migrated when a store opens.
#pragma once

#include <cstdint>
#include <string>

#include "postgres/connection.hpp"

namespace annal::pg {

/// The schema version this build writes and reads (docs/postgres.md, "Schema").
inline constexpr std::int64_t schema_version = 8;

/// Throws annal::invalid_argument unless `schema` is 1 to 63 letters, digits and underscores,
/// not starting with a digit.
void validate_schema_name(const std::string& schema);

/// The qualified name of a table in the store's schema: `"schema".table`.
std::string table(const std::string& schema, const char* name);

/// The NOTIFY channel on which appends to the store in `schema` announce the new head.
std::string notify_channel(const std::string& schema);

/// Creates the store's schema and tables when missing, or migrates them from an older schema
/// version, or checks them; under an advisory lock, so stores opening at once on one server do
/// not race. `up_to` stops at an older version (for tests of the migration). Throws
/// annal::unsupported_format_version for a schema written by a newer annal, annal::corruption
/// when the schema holds tables that are not an annal store, annal::io_error when the server
/// fails.
void open_schema(connection& c, const std::string& schema, std::int64_t up_to = schema_version);

/// Throws annal::io_error (ENOENT) unless `schema` holds an annal store; creates nothing.
void require_store_schema(connection& c, const std::string& schema);

}  // namespace annal::pg
