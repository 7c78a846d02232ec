// Creates, checks and migrates the SQLite backend's schema (specified in docs/storage-format.md).
#include "sqlite/sqlite_schema.hpp"

#include <fmt/format.h>

#include <array>
#include <cstring>
#include <vector>

#include "annal/error.hpp"
#include "core/batch_chain.hpp"
#include "core/sql_integer.hpp"
#include "core/store_identity.hpp"
#include "sqlite/event_row.hpp"

namespace annal::sqlite {
namespace {

// Stream ids are interned in `streams` so the events table and its (stream, version) index
// hold an integer instead of the id text: a smaller index stays in cache with many streams.
constexpr const char* create_schema_sql = R"sql(
CREATE TABLE annal_meta (
  key   TEXT PRIMARY KEY,
  value ANY NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE streams (
  stream_key INTEGER PRIMARY KEY,
  stream_id  TEXT NOT NULL UNIQUE,
  version    INTEGER NOT NULL
) STRICT;

CREATE TABLE events (
  position       INTEGER PRIMARY KEY,
  stream_key     INTEGER NOT NULL,
  stream_version INTEGER NOT NULL,
  type           TEXT NOT NULL,
  event_id       BLOB NOT NULL UNIQUE,
  timestamp_us   INTEGER NOT NULL,
  encoding       INTEGER NOT NULL,
  metadata       TEXT,
  payload        ANY NOT NULL,
  UNIQUE (stream_key, stream_version)
) STRICT;

CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
BEGIN
  SELECT RAISE(ABORT, 'annal: events are append-only: UPDATE is not allowed');
END;

CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
BEGIN
  SELECT RAISE(ABORT, 'annal: events are append-only: DELETE is not allowed');
END;
)sql";

// Added by schema version 2. The key columns come first and the payload last: in a WITHOUT
// ROWID table the record follows that order, so lookups by stream and version read the small
// columns from the b-tree page and leave a large payload in its overflow pages.
constexpr const char* create_snapshots_sql = R"sql(
CREATE TABLE snapshots (
  stream_id      TEXT NOT NULL,
  version        INTEGER NOT NULL,
  fingerprint    INTEGER NOT NULL,
  position       INTEGER NOT NULL,
  aggregate_type TEXT NOT NULL,
  encoding       INTEGER NOT NULL,
  taken_us       INTEGER NOT NULL,
  payload        BLOB NOT NULL,
  PRIMARY KEY (stream_id, version, fingerprint)
) STRICT, WITHOUT ROWID;

CREATE INDEX snapshots_by_type ON snapshots (aggregate_type);
)sql";

// Added by schema version 3: the version of each event's type (docs/evolution.md). ADD COLUMN
// with a constant default rewrites no row: events stored before it read as version 1.
constexpr const char* add_type_version_sql =
    "ALTER TABLE events ADD COLUMN type_version INTEGER NOT NULL DEFAULT 1;";

// Added by schema version 4: a scavenge may erase an event (docs/lifecycle.md). The one UPDATE
// the trigger lets through turns a user's event into '$erased' and keeps its place, id and time.
constexpr const char* allow_erasure_sql = R"sql(
DROP TRIGGER events_are_append_only_update;
CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
WHEN NOT (NEW.type = '$erased' AND substr(OLD.type, 1, 1) <> '$'
          AND NEW.position = OLD.position AND NEW.stream_key = OLD.stream_key
          AND NEW.stream_version = OLD.stream_version AND NEW.event_id = OLD.event_id
          AND NEW.timestamp_us = OLD.timestamp_us)
BEGIN
  SELECT RAISE(ABORT, 'annal: events are append-only: UPDATE is not allowed');
END;
)sql";

// Added by schema version 5: each subject's key for its personal data (docs/privacy.md). A NULL
// key marks a subject whose key forget() destroyed.
constexpr const char* create_subject_keys_sql = R"sql(
CREATE TABLE subject_keys (
  subject TEXT PRIMARY KEY,
  key     BLOB
) STRICT, WITHOUT ROWID;
)sql";

// Added by schema version 6: the hash chain (docs/integrity.md), one row a batch. A batch's first
// position is the row before it's last position plus one.
constexpr const char* create_batch_links_sql = R"sql(
CREATE TABLE batch_links (
  last_position INTEGER PRIMARY KEY,
  link          BLOB NOT NULL
) STRICT;

CREATE TRIGGER batch_links_are_append_only_update BEFORE UPDATE ON batch_links
BEGIN
  SELECT RAISE(ABORT, 'annal: batch links are append-only: UPDATE is not allowed');
END;

CREATE TRIGGER batch_links_are_append_only_delete BEFORE DELETE ON batch_links
BEGIN
  SELECT RAISE(ABORT, 'annal: batch links are append-only: DELETE is not allowed');
END;
)sql";

// Added by schema version 7: event tags for queries across streams (docs/dcb.md). Each event's
// tags in `events.tags` (NULL when none; the sorted tags joined by NUL bytes, which a tag never
// holds), interned in `tags`, and indexed by (tag, position) in `event_tags`; the index by type
// and position serves queries by type. ADD COLUMN without a default rewrites no row.
constexpr const char* add_tags_sql = R"sql(
ALTER TABLE events ADD COLUMN tags BLOB;
CREATE TABLE tags (
  tag_key INTEGER PRIMARY KEY,
  tag     TEXT NOT NULL UNIQUE
) STRICT;
CREATE TABLE event_tags (
  tag_key  INTEGER NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (tag_key, position)
) STRICT, WITHOUT ROWID;
CREATE INDEX events_by_type ON events (type, position);
)sql";

// Links the events stored before schema version 6 once (core's rule of what a stored batch is).
void link_stored_batches(connection& db) {
  statement rows =
      db.prepare(fmt::format("SELECT {}, s.stream_id FROM events e JOIN streams s ON "
                             "s.stream_key = e.stream_key ORDER BY e.position",
                             event_columns));
  statement insert = db.prepare("INSERT INTO batch_links (last_position, link) VALUES (?1, ?2)");
  detail::stored_batch_linker linker(
      [&](std::uint64_t last_position, const detail::sha256_digest& link) {
        statement_use use(insert);
        insert.bind(1, detail::to_sql(last_position));
        insert.bind_blob(2, link.data(), link.size());
        insert.step();
      });
  while (rows.step()) {
    linker.add(read_event_row(rows, rows.column_text(stream_id_column), db.path()));
  }
  linker.finish();
}

bool table_exists(connection& db, const char* name) {
  statement s = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1");
  s.bind(1, std::string_view(name));
  return s.step();
}

}  // namespace

void open_schema(connection& db) {
  transaction tx(db, transaction::mode::immediate);
  if (!table_exists(db, "annal_meta")) {
    if (db.query_int("SELECT count(*) FROM sqlite_schema") != 0) {
      throw corruption(db.path(), -1,
                       "the database has tables but is not an annal store (no annal_meta table)");
    }
    db.exec(create_schema_sql);
    db.exec(create_snapshots_sql);
    db.exec(add_type_version_sql);
    db.exec(allow_erasure_sql);
    db.exec(create_subject_keys_sql);
    db.exec(create_batch_links_sql);
    db.exec(add_tags_sql);
    db.exec(fmt::format("INSERT INTO annal_meta (key, value) VALUES ('schema_version', {});"
                        "PRAGMA application_id = {};",
                        schema_version, application_id)
                .c_str());
    write_store_id(db, detail::new_store_id());
    tx.commit();
    return;
  }
  statement s = db.prepare("SELECT value FROM annal_meta WHERE key = 'schema_version'");
  if (!s.step()) {
    throw corruption(db.path(), -1, "annal_meta has no schema_version");
  }
  std::int64_t found = s.column_int(0);
  s.reset();
  if (found > schema_version) throw unsupported_format_version(db.path(), found, schema_version);
  if (found < 1) {
    throw corruption(db.path(), -1, fmt::format("invalid schema_version {}", found));
  }
  // Each step only adds: no migration rewrites or deletes an event. All run in this one
  // transaction, so an interrupted migration leaves the version it started from.
  if (found < 2) db.exec(create_snapshots_sql);
  if (found < 3) db.exec(add_type_version_sql);
  if (found < 4) db.exec(allow_erasure_sql);
  if (found < 5) db.exec(create_subject_keys_sql);
  // Before linking: reading the stored events reads every column, tags among them.
  if (found < 7) db.exec(add_tags_sql);
  if (found < 6) {
    db.exec(create_batch_links_sql);
    link_stored_batches(db);
  }
  if (found < schema_version) {
    db.exec(
        fmt::format("UPDATE annal_meta SET value = {} WHERE key = 'schema_version'", schema_version)
            .c_str());
  }
  if (db.query_int("SELECT count(*) FROM annal_meta WHERE key = 'store_id'") == 0) {
    write_store_id(db, detail::new_store_id());
  }
  tx.commit();
}

uuid read_store_id(connection& db) {
  statement s = db.prepare("SELECT value FROM annal_meta WHERE key = 'store_id'");
  std::string bytes = s.step() ? s.column_text(0) : std::string();
  if (bytes.size() != 16) {
    throw corruption(db.path(), -1,
                     fmt::format("annal_meta's store_id is {} bytes, not 16", bytes.size()));
  }
  std::array<std::uint8_t, 16> id{};
  std::memcpy(id.data(), bytes.data(), 16);
  return uuid(id);
}

void write_store_id(connection& db, const uuid& id) {
  statement s =
      db.prepare("INSERT OR REPLACE INTO annal_meta (key, value) VALUES ('store_id', ?1)");
  s.bind_blob(1, id.bytes().data(), id.bytes().size());
  s.step();
}

}  // namespace annal::sqlite
