// Subjects' keys of the PostgreSQL backend: one row per subject, a NULL key once forgotten.
#include "postgres/key_table.hpp"

#include <fmt/format.h>

#include <cstring>

#include "annal/error.hpp"
#include "postgres/schema.hpp"

namespace annal::pg {

key_table::key_table(std::string conninfo, std::string schema) : conninfo_(std::move(conninfo)) {
  std::string t = table(schema, "subject_keys");
  find_sql_ = fmt::format("SELECT key FROM {} WHERE subject = $1", t);
  // Inserts unless the subject has a row, then returns the row either way.
  create_sql_ = fmt::format(
      "WITH inserted AS (INSERT INTO {0} (subject, key) VALUES ($1, $2) ON CONFLICT (subject) "
      "DO NOTHING RETURNING key) SELECT key FROM inserted UNION ALL SELECT key FROM {0} WHERE "
      "subject = $1 AND NOT EXISTS (SELECT 1 FROM inserted)",
      t);
  // The row as it was before, and the forgotten marker in its place.
  forget_sql_ = fmt::format(
      "WITH old AS (SELECT key FROM {0} WHERE subject = $1 FOR UPDATE), "
      "changed AS (INSERT INTO {0} (subject, key) VALUES ($1, NULL) ON CONFLICT (subject) DO "
      "UPDATE SET key = NULL) SELECT key FROM old",
      t);
  db_ = std::make_unique<connection>(conninfo_);
}

key_table::~key_table() = default;

connection& key_table::db() {
  if (!db_ || !db_->ok()) {
    db_.reset();
    db_ = std::make_unique<connection>(conninfo_);
  }
  return *db_;
}

detail::key_record key_table::record_of(const result& r, std::string_view subject) {
  detail::key_record record;
  if (r.rows() == 0) return record;
  if (r.is_null(0, 0)) {
    record.status = detail::key_record::state::forgotten;
    return record;
  }
  std::string_view bytes = r.bytes(0, 0);
  if (bytes.size() != detail::subject_key::size) {
    throw corruption(db_->name(), -1,
                     fmt::format("the key of subject '{}' is {} bytes, not {}", subject,
                                 bytes.size(), detail::subject_key::size));
  }
  std::memcpy(record.key.bytes().data(), bytes.data(), bytes.size());
  record.status = detail::key_record::state::live;
  return record;
}

detail::key_record key_table::find(std::string_view subject) {
  std::lock_guard lock(mutex_);
  return record_of(db().query(find_sql_.c_str(), {subject}), subject);
}

detail::key_record key_table::create(std::string_view subject, const detail::subject_key& key) {
  std::lock_guard lock(mutex_);
  std::string_view bytes(reinterpret_cast<const char*>(key.bytes().data()), key.bytes().size());
  result r = db().query(create_sql_.c_str(), {subject, bytes});
  // No row: another session inserted the subject after this statement's snapshot was taken.
  if (r.rows() == 0) r = db().query(find_sql_.c_str(), {subject});
  return record_of(r, subject);
}

detail::key_record::state key_table::forget(std::string_view subject) {
  std::lock_guard lock(mutex_);
  return record_of(db().query(forget_sql_.c_str(), {subject}), subject).status;
}

}  // namespace annal::pg
