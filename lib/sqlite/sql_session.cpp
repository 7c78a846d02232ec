// SQLite read-model SQL: statement cache, parameter binding, row access.
#include "sqlite/sql_session.hpp"

#include <fmt/format.h>

#include <cctype>

#include "annal/error.hpp"

namespace annal::projection_detail {

namespace {

bool only_blank(const char* tail) {
  for (; *tail != '\0'; ++tail) {
    if (!std::isspace(static_cast<unsigned char>(*tail)) && *tail != ';') return false;
  }
  return true;
}

// Whether a failed SQLite call is the database's (or the machine's) failure rather than the
// statement's or its data's: retrying later, on a new connection, may succeed.
bool is_database_failure(int rc) {
  switch (rc & 0xff) {
    case SQLITE_FULL:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_NOMEM:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      return true;
    default:
      return false;
  }
}

// Leaves a cached statement reset, so it never pins a read snapshot or stale bindings.
struct reset_on_exit {
  model_statement& s;
  ~reset_on_exit() { s.reset(); }
};

}  // namespace

model_statement::model_statement(sqlite::connection& c, const std::string& sql,
                                 std::exception_ptr& database_failure)
    : c_(c), database_failure_(database_failure) {
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(c.handle(), sql.c_str(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt_, &tail);
  if (rc == SQLITE_ERROR) {
    std::string reason = sqlite3_errmsg(c.handle());
    sqlite3_finalize(stmt_);
    throw invalid_argument(fmt::format("read-model SQL does not compile: {}: '{}'", reason, sql));
  }
  if (rc != SQLITE_OK) fail(rc, "preparing read-model SQL");
  if (stmt_ == nullptr || (tail != nullptr && !only_blank(tail))) {
    sqlite3_finalize(stmt_);
    throw invalid_argument(fmt::format("read-model SQL must be exactly one statement: '{}'", sql));
  }
}

model_statement::~model_statement() { sqlite3_finalize(stmt_); }

void model_statement::bind_all(sql_params params) {
  int index = 1;
  for (const sql_value& p : params) {
    int rc = std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
            return sqlite3_bind_null(stmt_, index);
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            return sqlite3_bind_int64(stmt_, index, v);
          } else if constexpr (std::is_same_v<T, double>) {
            return sqlite3_bind_double(stmt_, index, v);
          } else {
            return sqlite3_bind_text64(stmt_, index, v.data(), v.size(), SQLITE_STATIC,
                                       SQLITE_UTF8);
          }
        },
        p.get());
    if (rc == SQLITE_RANGE) {
      throw invalid_argument(fmt::format("read-model SQL has fewer than {} parameters: '{}'", index,
                                         sqlite3_sql(stmt_)));
    }
    if (rc != SQLITE_OK) fail(rc, "binding a parameter");
    ++index;
  }
}

bool model_statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(rc, fmt::format("running '{}'", sqlite3_sql(stmt_)));
}

void model_statement::fail(int rc, const std::string& doing) {
  try {
    sqlite::throw_error(rc, c_.handle(), c_.path(), doing);
  } catch (...) {
    if (is_database_failure(rc)) database_failure_ = std::current_exception();
    throw;
  }
}

void model_statement::reset() noexcept {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int model_statement::column_count() const noexcept { return sqlite3_column_count(stmt_); }

bool model_statement::is_null(int column) const noexcept {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t model_statement::integer(int column) const noexcept {
  return sqlite3_column_int64(stmt_, column);
}

double model_statement::real(int column) const noexcept {
  return sqlite3_column_double(stmt_, column);
}

std::string model_statement::text(int column) const {
  const unsigned char* data = sqlite3_column_text(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size == 0) return {};
  return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
}

model_statement& sql_session::prepared(std::string_view sql) {
  auto found = cache_.find(sql);
  if (found != cache_.end()) return *found->second;
  auto s =
      std::make_unique<model_statement>(c_, substitute_tables(sql, tables()), database_failure());
  return *cache_.emplace(std::string(sql), std::move(s)).first->second;
}

std::int64_t sql_session::execute(std::string_view sql, sql_params params) {
  model_statement& s = prepared(sql);
  reset_on_exit reset{s};
  s.bind_all(params);
  // Counted around the statement: sqlite3_changes64() keeps the count of the last write.
  std::int64_t before = sqlite3_total_changes64(c_.handle());
  while (s.step()) {
  }
  return sqlite3_total_changes64(c_.handle()) - before;
}

std::size_t sql_session::query(std::string_view sql, sql_params params,
                               const std::function<void(const sql_row&)>& on_row) {
  model_statement& s = prepared(sql);
  reset_on_exit reset{s};
  s.bind_all(params);
  std::size_t rows = 0;
  while (s.step()) {
    ++rows;
    on_row(s);
  }
  return rows;
}

}  // namespace annal::projection_detail
