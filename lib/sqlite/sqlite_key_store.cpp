// The SQLite backend's key store: one row per subject, a NULL key once forgotten.
#include "sqlite/sqlite_key_store.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <cstring>

#include "annal/error.hpp"

namespace annal::sqlite {

sqlite_key_store::sqlite_key_store(const std::string& path) : db_(path, SQLITE_OPEN_READWRITE) {
  db_.exec("PRAGMA synchronous = FULL");
  db_.exec("PRAGMA secure_delete = ON");
}

sqlite_key_store::~sqlite_key_store() = default;

detail::key_record sqlite_key_store::find_locked(std::string_view subject) {
  statement s = db_.prepare("SELECT key FROM subject_keys WHERE subject = ?1");
  s.bind(1, subject);
  detail::key_record record;
  if (!s.step()) return record;
  if (s.column_is_null(0)) {
    record.status = detail::key_record::state::forgotten;
    return record;
  }
  std::string bytes = s.column_text(0);
  if (bytes.size() != detail::subject_key::size) {
    sodium_memzero(bytes.data(), bytes.size());
    throw corruption(db_.path(), -1,
                     fmt::format("the key of subject '{}' is {} bytes, not {}", subject,
                                 bytes.size(), detail::subject_key::size));
  }
  std::memcpy(record.key.bytes().data(), bytes.data(), bytes.size());
  sodium_memzero(bytes.data(), bytes.size());
  record.status = detail::key_record::state::live;
  return record;
}

detail::key_record sqlite_key_store::find(std::string_view subject) {
  std::lock_guard lock(mutex_);
  transaction tx(db_, transaction::mode::deferred);
  return find_locked(subject);
}

detail::key_record sqlite_key_store::create(std::string_view subject,
                                            const detail::subject_key& key) {
  std::lock_guard lock(mutex_);
  transaction tx(db_, transaction::mode::immediate);
  statement s = db_.prepare("INSERT OR IGNORE INTO subject_keys (subject, key) VALUES (?1, ?2)");
  s.bind(1, subject);
  s.bind_blob(2, key.bytes().data(), key.bytes().size());
  s.step();
  s.reset();
  detail::key_record record = find_locked(subject);
  tx.commit();
  return record;
}

detail::key_record::state sqlite_key_store::forget(std::string_view subject) {
  std::lock_guard lock(mutex_);
  detail::key_record::state before;
  {
    transaction tx(db_, transaction::mode::immediate);
    before = find_locked(subject).status;
    statement s = db_.prepare(
        "INSERT INTO subject_keys (subject, key) VALUES (?1, NULL) "
        "ON CONFLICT (subject) DO UPDATE SET key = NULL");
    s.bind(1, subject);
    s.step();
    s.reset();
    tx.commit();
  }
  // Best effort: a reader may hold the log back; the next checkpoint then finishes the work.
  try {
    db_.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  } catch (const error&) {
  }
  return before;
}

}  // namespace annal::sqlite
