// The PostgreSQL backend's key store: the subject_keys table, through a connection of its own.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "core/key_store.hpp"
#include "postgres/connection.hpp"

namespace annal::pg {

/// Subjects' keys in the `subject_keys` table of the store's schema (docs/privacy.md). A
/// forgotten key's row keeps the subject with a NULL key; the old row version stays in the
/// table's pages until VACUUM removes it (docs/privacy.md says what that means).
///
/// Uses a connection of its own behind a mutex; reconnects on the next call when the
/// connection was lost. Thread-safe. Throws as detail::key_store documents.
class key_table final : public detail::key_store {
 public:
  /// Connects to `conninfo`; the schema is already open (open_schema()). Throws annal::io_error.
  key_table(std::string conninfo, std::string schema);
  ~key_table() override;

  detail::key_record find(std::string_view subject) override;
  detail::key_record create(std::string_view subject, const detail::subject_key& key) override;
  detail::key_record::state forget(std::string_view subject) override;

 private:
  connection& db();
  detail::key_record record_of(const result& r, std::string_view subject);

  std::string conninfo_;
  std::string find_sql_, create_sql_, forget_sql_;
  std::mutex mutex_;
  std::unique_ptr<connection> db_;
};

}  // namespace annal::pg
