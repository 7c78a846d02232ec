// The SQLite read-model database: one connection, immediate transactions, a lock file per led
// projection.
#include "sqlite/sqlite_read_model.hpp"

#include <fmt/format.h>

#include <map>

#include "annal/error.hpp"
#include "sqlite/lead_lock_file.hpp"
#include "sqlite/sql_session.hpp"
#include "sqlite/connection.hpp"

namespace annal::projection_detail {

namespace {

class sqlite_read_model final : public read_model_db {
 public:
  sqlite_read_model(const std::string& path, bool read_only)
      : c_(path, read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) {
    if (!read_only) {
      c_.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;");
    }
  }

  ~sqlite_read_model() override { close_bookkeeping(); }
  sqlite_read_model(const sqlite_read_model&) = delete;
  sqlite_read_model& operator=(const sqlite_read_model&) = delete;

  std::unique_ptr<model_session> session(table_map tables) override {
    return std::make_unique<sql_session>(c_, std::move(tables), database_failure_slot());
  }
  void begin() override { c_.exec("BEGIN IMMEDIATE"); }
  void commit() override { c_.exec("COMMIT"); }
  void rollback() noexcept override {
    if (sqlite3_get_autocommit(c_.handle()) == 0)
      sqlite3_exec(c_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void create_missing(std::string_view ddl) override { c_.exec(std::string(ddl).c_str()); }
  void add_missing_column(std::string_view table, std::string_view column,
                          std::string_view definition) override {
    std::string look = fmt::format("SELECT count(*) FROM pragma_table_info('{}') WHERE name = '{}'",
                                   table, column);
    if (c_.query_int(look.c_str()) != 0) return;
    db_transaction tx(*this);
    if (c_.query_int(look.c_str()) == 0) {
      c_.exec(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", table, column, definition).c_str());
    }
    tx.commit();
  }

  bool try_lead(std::string_view name) override {
    std::string key(name);
    auto held = leads_.find(key);
    if (held != leads_.end()) return held->second.still_held();
    lead_lock_file lock(lead_lock_path(database_file(), key));
    if (!lock.has_lead()) return false;
    leads_.emplace(std::move(key), std::move(lock));
    return true;
  }
  void check_lead() const override {
    for (const auto& [name, lock] : leads_) {
      if (!lock.still_held()) {
        throw io_error(0, c_.path(),
                       "lost the lead of projection '" + name + "': its lock file " +
                           lead_lock_path(database_file(), name) + " was deleted or replaced");
      }
    }
  }
  const std::string& where() const noexcept override { return c_.path(); }

 private:
  // The database file as SQLite resolved it (absolute, symbolic links followed), so that every
  // runner names the same lock file whatever path it was given.
  std::string database_file() const {
    const char* file = sqlite3_db_filename(c_.handle(), "main");
    return file != nullptr && *file != '\0' ? std::string(file) : c_.path();
  }

  sqlite::connection c_;
  std::map<std::string, lead_lock_file, std::less<>> leads_;
};

}  // namespace

std::unique_ptr<read_model_db> open_sqlite_read_model(const std::string& path, bool read_only) {
  return std::make_unique<sqlite_read_model>(path, read_only);
}

}  // namespace annal::projection_detail
