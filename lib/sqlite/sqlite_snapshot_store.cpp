// The SQLite backend's snapshot store: one table, one connection, one transaction per call.
#include "sqlite/sqlite_snapshot_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <limits>

#include "annal/error.hpp"
#include "annal/event_store.hpp"
#include "core/sql_integer.hpp"

namespace annal {
namespace {

using sqlite::connection;
using sqlite::statement;
using sqlite::statement_use;
using sqlite::transaction;

using detail::to_sql;

// Fingerprints use all 64 bits: stored as the signed integer with the same bits.
std::int64_t fingerprint_to_sql(std::uint64_t fingerprint) {
  return static_cast<std::int64_t>(fingerprint);
}

std::int64_t to_microseconds(std::chrono::system_clock::time_point t) {
  return std::chrono::floor<std::chrono::microseconds>(t.time_since_epoch()).count();
}

}  // namespace

struct sqlite_snapshot_store::statements {
  explicit statements(connection c)
      : db(std::move(c)),
        insert(db.prepare(
            "INSERT OR REPLACE INTO snapshots (stream_id, version, fingerprint, position, "
            "aggregate_type, encoding, taken_us, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
            "?8)")),
        // Keeps the ?2 newest by version; among equal versions the one just saved (?3, ?4)
        // first, then the most recently taken.
        trim(db.prepare(
            "DELETE FROM snapshots WHERE stream_id = ?1 AND (version, fingerprint) NOT IN ("
            "SELECT version, fingerprint FROM snapshots WHERE stream_id = ?1 ORDER BY version "
            "DESC, "
            "(version = ?3 AND fingerprint = ?4) DESC, taken_us DESC, fingerprint DESC LIMIT ?2)")),
        newest(db.prepare(
            "SELECT version, position, aggregate_type, encoding, taken_us, payload FROM snapshots "
            "WHERE stream_id = ?1 AND fingerprint = ?2 AND version <= ?3 AND position <= ?4 "
            "ORDER BY version DESC LIMIT 1")),
        mismatched(db.prepare(
            "SELECT count(*) FROM snapshots WHERE stream_id = ?1 AND fingerprint <> ?2 AND "
            "version <= ?3 AND position <= ?4 AND version > ?5")),
        drop(db.prepare("DELETE FROM snapshots WHERE aggregate_type = ?1")),
        total(db.prepare("SELECT count(*) FROM snapshots")) {}

  connection db;
  statement insert;
  statement trim;
  statement newest;
  statement mismatched;
  statement drop;
  statement total;
};

sqlite_snapshot_store::sqlite_snapshot_store(const std::string& path) {
  connection c(path, SQLITE_OPEN_READWRITE);
  // The journal mode (WAL) belongs to the file; the sync level to each connection.
  c.exec("PRAGMA synchronous = FULL");
  db_ = std::make_unique<statements>(std::move(c));
}

sqlite_snapshot_store::~sqlite_snapshot_store() = default;

void sqlite_snapshot_store::save(const snapshot& s, std::size_t keep) {
  validate_stream_id(s.stream_id);
  std::int64_t kept = to_sql(std::max<std::size_t>(keep, 1));
  std::lock_guard lock(mutex_);
  statements& db = *db_;
  transaction tx(db.db, transaction::mode::immediate);
  {
    statement_use use(db.insert);
    db.insert.bind(1, s.stream_id);
    db.insert.bind(2, to_sql(s.version));
    db.insert.bind(3, fingerprint_to_sql(s.fingerprint));
    db.insert.bind(4, to_sql(s.position));
    db.insert.bind(5, s.aggregate_type);
    db.insert.bind(6, static_cast<std::int64_t>(s.encoding));
    db.insert.bind(7, to_microseconds(s.taken_at));
    db.insert.bind_blob(8, s.payload.data(), s.payload.size());
    db.insert.step();
  }
  {
    statement_use use(db.trim);
    db.trim.bind(1, s.stream_id);
    db.trim.bind(2, kept);
    db.trim.bind(3, to_sql(s.version));
    db.trim.bind(4, fingerprint_to_sql(s.fingerprint));
    db.trim.step();
  }
  tx.commit();
}

snapshot_lookup sqlite_snapshot_store::load(std::string_view stream_id, std::uint64_t fingerprint,
                                            std::uint64_t max_version, std::uint64_t max_position) {
  validate_stream_id(stream_id);
  std::lock_guard lock(mutex_);
  statements& db = *db_;
  // One read transaction, so the count agrees with the snapshot found.
  transaction tx(db.db, transaction::mode::deferred);
  snapshot_lookup result;
  {
    statement_use use(db.newest);
    db.newest.bind(1, stream_id);
    db.newest.bind(2, fingerprint_to_sql(fingerprint));
    db.newest.bind(3, to_sql(max_version));
    db.newest.bind(4, to_sql(max_position));
    if (db.newest.step()) {
      snapshot s;
      s.stream_id = std::string(stream_id);
      s.version = static_cast<std::uint64_t>(db.newest.column_int(0));
      s.position = static_cast<std::uint64_t>(db.newest.column_int(1));
      s.aggregate_type = db.newest.column_text(2);
      s.fingerprint = fingerprint;
      std::int64_t encoding = db.newest.column_int(3);
      if (encoding != static_cast<std::int64_t>(snapshot_encoding::json) &&
          encoding != static_cast<std::int64_t>(snapshot_encoding::cbor)) {
        throw corruption(db.db.path(), -1,
                         fmt::format("the snapshot of '{}' at version {} has unknown encoding {}",
                                     stream_id, s.version, encoding));
      }
      s.encoding = static_cast<snapshot_encoding>(encoding);
      s.taken_at =
          std::chrono::system_clock::time_point(std::chrono::microseconds(db.newest.column_int(4)));
      s.payload = db.newest.column_text(5);
      result.found = std::move(s);
    }
  }
  {
    statement_use use(db.mismatched);
    db.mismatched.bind(1, stream_id);
    db.mismatched.bind(2, fingerprint_to_sql(fingerprint));
    db.mismatched.bind(3, to_sql(max_version));
    db.mismatched.bind(4, to_sql(max_position));
    db.mismatched.bind(5, result.found ? to_sql(result.found->version) : std::int64_t{-1});
    db.mismatched.step();
    result.mismatched = static_cast<std::size_t>(db.mismatched.column_int(0));
  }
  tx.commit();
  return result;
}

std::size_t sqlite_snapshot_store::drop_type(std::string_view aggregate_type) {
  std::lock_guard lock(mutex_);
  statements& db = *db_;
  statement_use use(db.drop);
  db.drop.bind(1, aggregate_type);
  db.drop.step();
  return static_cast<std::size_t>(sqlite3_changes64(db.db.handle()));
}

std::size_t sqlite_snapshot_store::count() {
  std::lock_guard lock(mutex_);
  statements& db = *db_;
  statement_use use(db.total);
  db.total.step();
  return static_cast<std::size_t>(db.total.column_int(0));
}

}  // namespace annal
