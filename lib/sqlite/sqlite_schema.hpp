// The SQLite backend's schema: creation on first open, version check on every open.
#pragma once

#include "annal/uuid.hpp"
#include "sqlite/connection.hpp"

namespace annal::sqlite {

/// The schema version this build writes and the newest it reads. Stored in annal_meta.
/// Version 2 added the snapshots table, 5 the subject_keys table, 6 the batch_links table of the
/// hash chain (the migration links the events already stored, once); an older database is
/// migrated when opened.
inline constexpr int schema_version = 7;
/// PRAGMA application_id of an annal store: "anl1" in ASCII.
inline constexpr int application_id = 0x616e6c31;

/// Creates the schema in an empty database, or checks an existing one and migrates an older
/// schema to this version (in the same transaction). Throws annal::unsupported_format_version
/// for a newer schema, annal::corruption for a database that is not an annal store.
/// Also gives a store without an identity (created before stores had one) a new random
/// `store_id` row in annal_meta; older builds ignore that row, so no version step is needed.
void open_schema(connection& db);

/// The store's identity from annal_meta. Throws annal::corruption when it is missing or not 16
/// bytes.
uuid read_store_id(connection& db);

/// Sets the store's identity in annal_meta; the caller holds the write transaction.
void write_store_id(connection& db, const uuid& id);

}  // namespace annal::sqlite
