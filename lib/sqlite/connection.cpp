// SQLite connection, statement and transaction wrappers, and SQLite error translation.
#include "sqlite/connection.hpp"

#include <fmt/format.h>

#include <cerrno>

#include "annal/error.hpp"

namespace annal::sqlite {

void throw_error(int rc, sqlite3* db, const std::string& path, std::string_view doing) {
  std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  int primary = rc & 0xff;
  std::string reason = fmt::format("{}: {} (SQLite code {})", doing, detail, rc);
  switch (primary) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      throw corruption(path, -1, reason);
    case SQLITE_FULL:
      throw io_error(ENOSPC, path, reason);
    case SQLITE_READONLY:
      throw io_error(EROFS, path, reason);
    case SQLITE_CANTOPEN:
      throw io_error(ENOENT, path, reason);
    case SQLITE_NOMEM:
      throw io_error(ENOMEM, path, reason);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      throw io_error(EBUSY, path,
                     reason +
                         "; another connection held the lock for longer than the busy "
                         "timeout (sqlite_busy_timeout)");
    case SQLITE_IOERR:
      throw io_error(EIO, path, reason);
    default:
      throw io_error(rc, path, reason);
  }
}

statement::statement(sqlite3* db, std::string_view sql, const std::string& path)
    : db_(db), path_(&path) {
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) throw_error(rc, db, path, fmt::format("preparing '{}'", sql));
}

statement::~statement() { sqlite3_finalize(stmt_); }

statement::statement(statement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), path_(other.path_) {
  other.stmt_ = nullptr;
}

void statement::bind(int index, std::int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) throw_error(rc, db_, *path_, "binding a parameter");
}

void statement::bind(int index, std::string_view text) {
  int rc =
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) throw_error(rc, db_, *path_, "binding a parameter");
}

void statement::bind_blob(int index, const void* data, std::size_t size) {
  // A zero-length blob must still bind as a blob, not NULL: give SQLite a valid pointer.
  static const char empty = 0;
  int rc = sqlite3_bind_blob64(stmt_, index, size == 0 ? &empty : data, size, SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) throw_error(rc, db_, *path_, "binding a parameter");
}

void statement::bind_null(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) throw_error(rc, db_, *path_, "binding a parameter");
}

bool statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw_error(rc, db_, *path_, fmt::format("running '{}'", sqlite3_sql(stmt_)));
}

void statement::reset() noexcept {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t statement::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string statement::column_text(int index) const {
  // Blob first, then bytes: the documented order that avoids a format conversion.
  const void* data = sqlite3_column_blob(stmt_, index);
  int size = sqlite3_column_bytes(stmt_, index);
  if (data == nullptr || size == 0) return {};
  return std::string(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

bool statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

connection::connection(std::string path, int flags) : path_(std::move(path)) {
  int rc = sqlite3_open_v2(path_.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string reason = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw io_error(rc == SQLITE_CANTOPEN ? ENOENT : rc, path_,
                   fmt::format("cannot open the database: {}", reason));
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, 10000);
}

connection::~connection() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

connection::connection(connection&& other) noexcept
    : path_(std::move(other.path_)), db_(other.db_) {
  other.db_ = nullptr;
}

void connection::exec(const char* sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    sqlite3_free(message);
    throw_error(rc, db_, path_, fmt::format("running '{}'", sql));
  }
}

statement connection::prepare(std::string_view sql) { return statement(db_, sql, path_); }

std::int64_t connection::query_int(const char* sql) {
  statement s = prepare(sql);
  return s.step() ? s.column_int(0) : 0;
}

transaction::transaction(connection& c, mode m) : c_(c) {
  c_.exec(m == mode::immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
}

transaction::~transaction() {
  if (open_) sqlite3_exec(c_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void transaction::commit() {
  c_.exec("COMMIT");
  open_ = false;
}

}  // namespace annal::sqlite
