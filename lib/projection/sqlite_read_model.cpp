// The SQLite read-model database: one connection, immediate transactions, no leadership lock.
#include "projection/sqlite_read_model.hpp"

#include "projection/sql_session.hpp"
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
    return std::make_unique<sql_session>(c_, std::move(tables));
  }
  void begin() override { c_.exec("BEGIN IMMEDIATE"); }
  void commit() override { c_.exec("COMMIT"); }
  void rollback() noexcept override {
    if (sqlite3_get_autocommit(c_.handle()) == 0)
      sqlite3_exec(c_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void create_missing(std::string_view ddl) override { c_.exec(std::string(ddl).c_str()); }
  bool try_lead(std::string_view) override { return true; }
  bool connected() const noexcept override { return true; }
  const std::string& where() const noexcept override { return c_.path(); }

 private:
  sqlite::connection c_;
};

}  // namespace

std::unique_ptr<read_model_db> open_sqlite_read_model(const std::string& path, bool read_only) {
  return std::make_unique<sqlite_read_model>(path, read_only);
}

}  // namespace annal::projection_detail
