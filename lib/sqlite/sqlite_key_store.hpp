// The SQLite backend's key store: the subject_keys table, through a connection of its own.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "core/key_store.hpp"
#include "sqlite/connection.hpp"

namespace annal::sqlite {

/// Subjects' keys in the `subject_keys` table of the store's database file (docs/privacy.md).
/// Its connection runs with `PRAGMA secure_delete`, so the pages a forgotten key leaves are
/// overwritten with zeros, and checkpoints the write-ahead log after a forget so that the old
/// page leaves it too (when no reader holds it back).
///
/// Thread-safe: calls are serialised by a mutex; SQLite's write lock serialises processes.
/// Throws as detail::key_store documents.
class sqlite_key_store final : public detail::key_store {
 public:
  /// Opens a connection to the database at `path`, whose schema open_schema() already checked.
  /// Throws annal::io_error when the database cannot be opened.
  explicit sqlite_key_store(const std::string& path);
  ~sqlite_key_store() override;
  sqlite_key_store(const sqlite_key_store&) = delete;
  sqlite_key_store& operator=(const sqlite_key_store&) = delete;

  detail::key_record find(std::string_view subject) override;
  detail::key_record create(std::string_view subject, const detail::subject_key& key) override;
  detail::key_record::state forget(std::string_view subject) override;

 private:
  detail::key_record find_locked(std::string_view subject);

  std::mutex mutex_;
  connection db_;
};

}  // namespace annal::sqlite
