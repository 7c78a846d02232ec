// libpq calls behind annal's error model.
#include "postgres/connection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "annal/error.hpp"
#include "annal/open_store.hpp"

namespace annal::pg {

param param::int8(std::int64_t value) {
  param p;
  p.null_ = false;
  p.is_int8_ = true;
  auto v = static_cast<std::uint64_t>(value);
  for (int i = 0; i < 8; ++i) p.int8_[i] = static_cast<char>(v >> (56 - 8 * i));
  return p;
}

void put_be(std::string& out, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>(value >> (8 * i)));
}

std::uint64_t get_be(const char* in, int bytes) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

std::int64_t result::int8(int row, int column) const noexcept {
  if (is_null(row, column) || PQgetlength(r_.get(), row, column) != 8) return 0;
  return static_cast<std::int64_t>(get_be(PQgetvalue(r_.get(), row, column), 8));
}

std::int32_t result::int4(int row, int column) const noexcept {
  if (is_null(row, column) || PQgetlength(r_.get(), row, column) != 4) return 0;
  return static_cast<std::int32_t>(get_be(PQgetvalue(r_.get(), row, column), 4));
}

std::int16_t result::int2(int row, int column) const noexcept {
  if (is_null(row, column) || PQgetlength(r_.get(), row, column) != 2) return 0;
  return static_cast<std::int16_t>(get_be(PQgetvalue(r_.get(), row, column), 2));
}

std::int64_t result::affected() const noexcept {
  const char* n = PQcmdTuples(r_.get());
  return n == nullptr || *n == '\0' ? 0 : std::stoll(n);
}

void throw_error(const server_error& e, std::string_view what) {
  std::string message = fmt::format("{}: {}", what, e.message);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  for (char& c : message) {
    if (c == '\n') c = ' ';
  }
  if (e.sqlstate == sqlstate::invalid_text_representation ||
      e.sqlstate == sqlstate::character_not_in_repertoire ||
      e.sqlstate == sqlstate::untranslatable_character ||
      e.sqlstate == sqlstate::invalid_json_text) {
    throw invalid_argument(message);
  }
  throw io_error(0, "postgres", message);
}

namespace {

// The arrays libpq takes for binary parameters.
struct param_arrays {
  param_arrays(const param* params, int count)
      : values(static_cast<std::size_t>(count)),
        lengths(static_cast<std::size_t>(count)),
        formats(static_cast<std::size_t>(count), 1) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      values[i] = params[i].data();
      lengths[i] = params[i].size();
    }
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
};

// The status a command's result should have: rows for a query, none for the rest.
ExecStatusType expected_status(PGresult* r) {
  ExecStatusType status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  return status == PGRES_TUPLES_OK ? PGRES_TUPLES_OK : PGRES_COMMAND_OK;
}

server_error connection_error(PGconn* c) { return {"08000", PQerrorMessage(c)}; }

}  // namespace

connection::connection(const std::string& conninfo) : c_(PQconnectdb(conninfo.c_str())) {
  if (c_ == nullptr) throw io_error(0, "postgres", "cannot connect to PostgreSQL: out of memory");
  name_ = fmt::format("{}:{}/{}", PQhost(c_) ? PQhost(c_) : "?", PQport(c_) ? PQport(c_) : "?",
                      PQdb(c_) ? PQdb(c_) : "?");
  if (PQstatus(c_) != CONNECTION_OK) {
    server_error e = connection_error(c_);
    // libpq's messages about a malformed URI echo it, or the offending part of it.
    e.message = redact_passwords(e.message, conninfo);
    PQfinish(c_);
    c_ = nullptr;
    throw_error(e, "cannot connect to PostgreSQL at " + name_);
  }
  // Messages such as NOTICEs of CREATE ... IF NOT EXISTS are not for the user.
  PQsetNoticeProcessor(
      c_, [](void*, const char*) {}, nullptr);
}

connection::~connection() {
  if (c_ != nullptr) PQfinish(c_);
}

std::optional<server_error> connection::check(PGresult* r, ExecStatusType expected, result* out) {
  result owned(r);
  if (r == nullptr) return connection_error(c_);
  if (PQresultStatus(r) != expected) {
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    return server_error{state ? state : "", PQresultErrorMessage(r)};
  }
  if (out != nullptr) *out = std::move(owned);
  return std::nullopt;
}

void connection::exec(std::string_view sql) {
  std::string text(sql);
  // PQexec returns the last statement's result; a failure stops at the failing statement.
  PGresult* r = PQexec(c_, text.c_str());
  if (auto e = check(r, expected_status(r), nullptr)) throw_error(*e, "PostgreSQL at " + name_);
}

std::optional<server_error> connection::try_query(const char* sql, const param* params, int count,
                                                  result* out) {
  param_arrays a(params, count);
  PGresult* r =
      PQexecParams(c_, sql, count, nullptr, a.values.data(), a.lengths.data(), a.formats.data(), 1);
  return check(r, expected_status(r), out);
}

void connection::prepare(const char* name, const char* sql) {
  if (auto e = check(PQprepare(c_, name, sql, 0, nullptr), PGRES_COMMAND_OK, nullptr)) {
    throw_error(*e, "PostgreSQL at " + name_);
  }
}

result connection::query_prepared(const char* name, std::initializer_list<param> params) {
  param_arrays a(params.begin(), static_cast<int>(params.size()));
  PGresult* r = PQexecPrepared(c_, name, static_cast<int>(params.size()), a.values.data(),
                               a.lengths.data(), a.formats.data(), 1);
  result out(nullptr);
  if (auto e = check(r, expected_status(r), &out)) throw_error(*e, "PostgreSQL at " + name_);
  return out;
}

result connection::query(const char* sql, const param* params, int count) {
  result out(nullptr);
  if (auto e = try_query(sql, params, count, &out)) throw_error(*e, "PostgreSQL at " + name_);
  return out;
}

result connection::query(const char* sql, std::initializer_list<param> params) {
  return query(sql, params.begin(), static_cast<int>(params.size()));
}

std::optional<server_error> connection::try_copy_in(const char* copy_sql, std::string_view data) {
  if (auto e = check(PQexec(c_, copy_sql), PGRES_COPY_IN, nullptr)) return e;
  constexpr std::size_t chunk = 1u << 20;
  for (std::size_t at = 0; at < data.size(); at += chunk) {
    std::size_t n = std::min(chunk, data.size() - at);
    if (PQputCopyData(c_, data.data() + at, static_cast<int>(n)) != 1) return connection_error(c_);
  }
  if (PQputCopyEnd(c_, nullptr) != 1) return connection_error(c_);
  std::optional<server_error> failure;
  // Collect every result up to the end of the COPY; the first failure wins.
  while (PGresult* r = PQgetResult(c_)) {
    auto e = check(r, PGRES_COMMAND_OK, nullptr);
    if (e && !failure) failure = std::move(e);
  }
  return failure;
}

void connection::copy_in(const char* copy_sql, std::string_view data) {
  if (auto e = try_copy_in(copy_sql, data)) throw_error(*e, "PostgreSQL at " + name_);
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace annal::pg
