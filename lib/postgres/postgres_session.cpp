// PostgreSQL read-model SQL: prepared statements, text parameters with types, text rows.
#include "postgres/postgres_session.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <vector>

#include "annal/error.hpp"

namespace annal::projection_detail {

namespace {

constexpr Oid float8_oid = 701;
constexpr Oid text_oid = 25;
constexpr Oid bool_oid = 16;

// One row of a text-format result.
class text_row final : public sql_row {
 public:
  text_row(PGresult* r, int row) noexcept : r_(r), row_(row) {}

  int column_count() const noexcept override { return PQnfields(r_); }
  bool is_null(int column) const noexcept override {
    return column < 0 || column >= PQnfields(r_) || PQgetisnull(r_, row_, column) != 0;
  }
  std::int64_t integer(int column) const noexcept override {
    if (is_null(column)) return 0;
    const char* v = PQgetvalue(r_, row_, column);
    if (PQftype(r_, column) == bool_oid) return v[0] == 't' ? 1 : 0;
    return std::strtoll(v, nullptr, 10);
  }
  double real(int column) const noexcept override {
    return is_null(column) ? 0.0 : std::strtod(PQgetvalue(r_, row_, column), nullptr);
  }
  std::string text(int column) const override {
    if (is_null(column)) return {};
    return std::string(PQgetvalue(r_, row_, column),
                       static_cast<std::size_t>(PQgetlength(r_, row_, column)));
  }

 private:
  PGresult* r_;
  int row_;
};

std::string float8_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return fmt::format("{}", v);
}

// Whether a failure with this SQLSTATE is the server's or the connection's rather than the
// statement's or its data's: retrying later, on a new connection, may succeed. Classes 08
// (connection), 40 (serialization failure, deadlock), 53 (disk full, out of memory, too many
// connections), 57 (shutdown, cancelled), 58 (I/O error), XX (internal), and 55P03 (lock not
// available).
bool is_database_failure(std::string_view state) {
  for (std::string_view cls : {"08", "40", "53", "57", "58", "XX"}) {
    if (state.starts_with(cls)) return true;
  }
  return state == "55P03";
}

// Throws for a failed prepare or execution of `sql`: errors in the statement itself are the
// handler's (invalid_argument), the rest the database's.
void throw_failure(const pg::result& r, pg::connection& c, const std::string& sql) {
  ExecStatusType status = r.get() ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
  if (status == PGRES_EMPTY_QUERY) {
    throw invalid_argument(fmt::format("read-model SQL must be exactly one statement: '{}'", sql));
  }
  const char* field = r.get() ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
  std::string state = field ? field : "";
  std::string message = r.get() ? PQresultErrorMessage(r.get()) : PQerrorMessage(c.handle());
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  // Class 42: syntax error or access rule violation (also unknown tables and columns); 08P01: a
  // parameter count that does not match the statement.
  if (c.ok() && (state.starts_with("42") || state == "08P01")) {
    throw invalid_argument(fmt::format("read-model SQL does not compile: {}: '{}'", message, sql));
  }
  pg::throw_error({state, message}, fmt::format("running '{}' on PostgreSQL at {}", sql, c.name()));
}

}  // namespace

void postgres_session::check(const pg::result& r, const std::string& sql) {
  try {
    throw_failure(r, c_, sql);
  } catch (...) {
    const char* state = r.get() ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
    if (!c_.ok() || is_database_failure(state ? state : "")) {
      database_failure() = std::current_exception();
    }
    throw;
  }
}

pg::result postgres_session::run(std::string_view sql, sql_params params) {
  std::vector<Oid> types;
  std::vector<std::string> texts;
  std::vector<const char*> values;
  types.reserve(params.size());
  texts.reserve(params.size());
  for (const sql_value& p : params) {
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
            types.push_back(0);
            texts.emplace_back();
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            types.push_back(pg::int8_oid);
            texts.push_back(std::to_string(v));
          } else if constexpr (std::is_same_v<T, double>) {
            types.push_back(float8_oid);
            texts.push_back(float8_text(v));
          } else {
            types.push_back(text_oid);
            texts.emplace_back(v);
          }
        },
        p.get());
  }
  for (std::size_t i = 0; i < texts.size(); ++i) {
    values.push_back(types[i] == 0 ? nullptr : texts[i].c_str());
  }
  std::string key(sql);
  key.append(reinterpret_cast<const char*>(types.data()), types.size() * sizeof(Oid));
  auto found = prepared_.find(key);
  if (found == prepared_.end()) {
    std::string name = fmt::format("annal_rm_{}", ++statement_ids_);
    std::string text = substitute_tables(sql, tables());
    pg::result r(PQprepare(c_.handle(), name.c_str(), text.c_str(), static_cast<int>(types.size()),
                           types.data()));
    check(r, text);
    found = prepared_.emplace(std::move(key), std::move(name)).first;
  }
  pg::result r(PQexecPrepared(c_.handle(), found->second.c_str(), static_cast<int>(values.size()),
                              values.data(), nullptr, nullptr, 0));
  check(r, std::string(sql));
  return r;
}

std::int64_t postgres_session::execute(std::string_view sql, sql_params params) {
  pg::result r = run(sql, params);
  std::string_view command = PQcmdStatus(r.get());
  bool writes = command.starts_with("INSERT") || command.starts_with("UPDATE") ||
                command.starts_with("DELETE") || command.starts_with("MERGE");
  return writes ? r.affected() : 0;
}

std::size_t postgres_session::query(std::string_view sql, sql_params params,
                                    const std::function<void(const sql_row&)>& on_row) {
  pg::result r = run(sql, params);
  int rows = r.rows();
  for (int i = 0; i < rows; ++i) on_row(text_row(r.get(), i));
  return static_cast<std::size_t>(rows);
}

}  // namespace annal::projection_detail
