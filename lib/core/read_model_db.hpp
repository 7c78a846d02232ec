// The database under a projection read model, as the runner sees it; each backend that can hold
// read models implements it (SQLite files, PostgreSQL schemas).
#pragma once

#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "annal/read_model_transaction.hpp"

namespace annal::projection_detail {

/// Maps a table base name to its physical name in one build.
using table_map = std::map<std::string, std::string, std::less<>>;

/// Replaces every `{base}` whose base is in `tables` by its physical name; other text is copied.
std::string substitute_tables(std::string_view sql, const table_map& tables);

/// A read_model_transaction over one database connection that can be owned and destroyed
/// through its base. Not thread-safe; must not outlive the read_model_db that made it.
class model_session : public read_model_transaction {
 public:
  virtual ~model_session() = default;
  const std::string& table(std::string_view base) const override;
  const table_map& tables() const noexcept { return tables_; }

 protected:
  /// `database_failure` is where the session notes the exception of a statement that failed
  /// because of the database itself (see read_model_db::database_failure()); it must outlive
  /// the session.
  model_session(table_map tables, std::exception_ptr& database_failure)
      : tables_(std::move(tables)), database_failure_(database_failure) {}
  std::exception_ptr& database_failure() noexcept { return database_failure_; }

 private:
  table_map tables_;
  std::exception_ptr& database_failure_;
};

/// One connection to a read-model database and what differs between database kinds:
/// transactions, bookkeeping DDL, leadership. The runner's bookkeeping SQL (registry.cpp) is
/// written once for both: `$1, $2, ...` placeholders in ascending order of first use (SQLite
/// numbers such named parameters by first appearance), BIGINT and TEXT columns, upserts with
/// ON CONFLICT. Not thread-safe.
class read_model_db {
 public:
  virtual ~read_model_db() = default;

  /// A session writing the tables of one build (an empty map for the runner's own SQL).
  virtual std::unique_ptr<model_session> session(table_map tables) = 0;
  /// The session the runner's bookkeeping SQL runs in; lives as long as this object.
  model_session& bookkeeping();

  /// Begins a transaction that takes the write lock at once (SQLite: BEGIN IMMEDIATE).
  virtual void begin() = 0;
  virtual void commit() = 0;
  /// Rolls back the open transaction; never throws (a broken connection has none left).
  virtual void rollback() noexcept = 0;

  /// Runs DDL of several statements that creates what is missing, serialised against other
  /// connections doing the same. Throws annal::io_error.
  virtual void create_missing(std::string_view ddl) = 0;
  /// Adds `column` with `definition` (e.g. "TEXT NOT NULL DEFAULT ''") to `table` when the table
  /// lacks it, serialised against other connections doing the same; a cheap look when it has
  /// it. Names are trusted identifiers. Throws annal::io_error.
  virtual void add_missing_column(std::string_view table, std::string_view column,
                                  std::string_view definition) = 0;

  /// Tries to become the one runner of projection `name` on this read model, across runners
  /// and processes, for as long as this object lives (SQLite: an exclusive lock on a lock file
  /// beside the database; PostgreSQL: a session advisory lock). Throws annal::io_error.
  virtual bool try_lead(std::string_view name) = 0;
  /// Throws annal::io_error when a lead taken through this object may no longer hold: the
  /// lock file was deleted or replaced (SQLite), the connection is lost (PostgreSQL). The runner
  /// calls it inside each transaction that moves a checkpoint, before the commit; the
  /// checkpoint compare (advance_checkpoint) stays the guard against a race with the check.
  virtual void check_lead() const = 0;

  /// The last failure of a statement on this connection that was the database's own (a full
  /// disk, a lock held past the busy timeout, an I/O error, a lost connection) rather than its
  /// SQL's or its data's, as the sessions noted it; null when there was none since
  /// clear_database_failure(). A handler may catch a statement's exception and throw its own:
  /// this still tells the runner that the database failed, not the event.
  std::exception_ptr database_failure() const noexcept { return database_failure_; }
  void clear_database_failure() noexcept { database_failure_ = nullptr; }

  /// The database for messages: a file path or "host:port/db schema NAME".
  virtual const std::string& where() const noexcept = 0;

 protected:
  /// Destroys the bookkeeping session; implementations call it before closing their connection.
  void close_bookkeeping() noexcept { bookkeeping_.reset(); }
  /// Where this connection's sessions note the failures database_failure() returns.
  std::exception_ptr& database_failure_slot() noexcept { return database_failure_; }

 private:
  std::exception_ptr database_failure_;
  std::unique_ptr<model_session> bookkeeping_;
};

/// A transaction on a read_model_db that rolls back unless committed.
class db_transaction {
 public:
  explicit db_transaction(read_model_db& db) : db_(db) { db_.begin(); }
  ~db_transaction() {
    if (open_) db_.rollback();
  }
  db_transaction(const db_transaction&) = delete;
  db_transaction& operator=(const db_transaction&) = delete;
  void commit() {
    db_.commit();
    open_ = false;
  }

 private:
  read_model_db& db_;
  bool open_ = true;
};

}  // namespace annal::projection_detail
