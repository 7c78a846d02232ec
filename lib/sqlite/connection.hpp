// RAII wrappers over sqlite3 connections, prepared statements and transactions.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace annal::sqlite {

/// Translates a failed SQLite call into the annal error hierarchy (the one place that does).
/// SQLITE_CORRUPT and SQLITE_NOTADB become annal::corruption, everything else annal::io_error
/// carrying the SQLite result code; `doing` says what was being attempted.
[[noreturn]] void throw_error(int rc, sqlite3* db, const std::string& path, std::string_view doing);

/// A prepared statement. Move-only; must not outlive its connection. Not thread-safe.
class statement {
 public:
  statement(sqlite3* db, std::string_view sql, const std::string& path);
  ~statement();
  statement(statement&& other) noexcept;
  statement& operator=(statement&&) = delete;
  statement(const statement&) = delete;

  void bind(int index, std::int64_t value);
  void bind(int index, std::string_view text);
  void bind_blob(int index, const void* data, std::size_t size);
  void bind_null(int index);

  /// Runs to the next row: true when a row is available, false when done.
  bool step();
  /// Ends the statement's use and clears its bindings, releasing any read snapshot it holds.
  void reset() noexcept;

  std::int64_t column_int(int index) const;
  std::string column_text(int index) const;
  bool column_is_null(int index) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  const std::string* path_;
};

/// Resets a statement when leaving a scope, so a cached statement never pins a read snapshot.
class statement_use {
 public:
  explicit statement_use(statement& s) noexcept : s_(s) {}
  ~statement_use() { s_.reset(); }
  statement_use(const statement_use&) = delete;
  statement_use& operator=(const statement_use&) = delete;

 private:
  statement& s_;
};

/// One database connection. Move-only; not thread-safe (annal uses each from one thread at a
/// time).
class connection {
 public:
  /// Opens `path` with the given sqlite3_open_v2 flags and sets the busy timeout.
  connection(std::string path, int flags);
  ~connection();
  connection(connection&& other) noexcept;
  connection& operator=(connection&&) = delete;
  connection(const connection&) = delete;

  /// Runs SQL that returns no rows (several statements allowed).
  void exec(const char* sql);
  statement prepare(std::string_view sql);
  /// Runs a query returning one integer (0 when it returns no row or NULL).
  std::int64_t query_int(const char* sql);

  sqlite3* handle() const noexcept { return db_; }
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

/// A transaction that rolls back unless committed.
class transaction {
 public:
  enum class mode { deferred, immediate };
  transaction(connection& c, mode m);
  ~transaction();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  void commit();

 private:
  connection& c_;
  bool open_ = true;
};

}  // namespace annal::sqlite
