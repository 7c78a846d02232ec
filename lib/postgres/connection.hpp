// A libpq connection and its results, with errors turned into annal exceptions.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace annal::pg {

/// One query parameter, sent in binary format. Text and JSON are sent as their bytes, integers
/// as 8-byte big-endian int8, bytea and uuid as raw bytes. A default-constructed one is NULL.
/// Views the bytes it is given: they must live until the call that sends them returns.
class param {
 public:
  param() = default;
  param(std::string_view bytes) : bytes_(bytes), null_(false) {}
  param(const std::string& bytes) : bytes_(bytes), null_(false) {}
  param(const char* bytes) : bytes_(bytes), null_(false) {}
  /// An int8 (bigint) parameter.
  static param int8(std::int64_t value);

  const char* data() const noexcept {
    // libpq sends a null pointer as NULL, so an empty view without data becomes "".
    return null_ ? nullptr : is_int8_ ? int8_ : bytes_.data() != nullptr ? bytes_.data() : "";
  }
  int size() const noexcept { return is_int8_ ? 8 : static_cast<int>(bytes_.size()); }

 private:
  std::string_view bytes_;
  char int8_[8] = {};
  bool null_ = true;
  bool is_int8_ = false;
};

/// A query result in binary format. Rows and columns are numbered from 0. Move-only.
class result {
 public:
  explicit result(PGresult* r) noexcept : r_(r) {}
  result(result&&) noexcept = default;
  result& operator=(result&&) noexcept = default;

  int rows() const noexcept { return PQntuples(r_.get()); }
  bool is_null(int row, int column) const noexcept { return PQgetisnull(r_.get(), row, column); }
  /// The column's raw bytes (binary format).
  std::string_view bytes(int row, int column) const noexcept {
    return {PQgetvalue(r_.get(), row, column),
            static_cast<std::size_t>(PQgetlength(r_.get(), row, column))};
  }
  /// A bigint column (int8 in binary format); 0 when NULL.
  std::int64_t int8(int row, int column) const noexcept;
  /// An integer column (int4 in binary format); 0 when NULL.
  std::int32_t int4(int row, int column) const noexcept;
  /// A smallint column (int2 in binary format).
  std::int16_t int2(int row, int column) const noexcept;
  /// The number of rows an INSERT, UPDATE or DELETE touched.
  std::int64_t affected() const noexcept;
  PGresult* get() const noexcept { return r_.get(); }

 private:
  struct deleter {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
  };
  std::unique_ptr<PGresult, deleter> r_;
};

/// The SQLSTATE codes annal reacts to.
namespace sqlstate {
inline constexpr std::string_view unique_violation = "23505";
inline constexpr std::string_view invalid_text_representation = "22P02";
inline constexpr std::string_view character_not_in_repertoire = "22021";
inline constexpr std::string_view untranslatable_character = "22P05";
inline constexpr std::string_view invalid_json_text = "22032";
}  // namespace sqlstate

/// An error PostgreSQL reported, before annal maps it to one of its own exceptions.
struct server_error {
  std::string sqlstate;
  std::string message;
};

/// Throws the annal exception for a failed call: annal::invalid_argument for data the server
/// refused as malformed (bad UTF-8, invalid JSON), annal::io_error for everything else (the
/// connection, the server, a constraint), with `what` and the server's message.
[[noreturn]] void throw_error(const server_error& e, std::string_view what);

/// One connection to a PostgreSQL server. Not thread-safe: callers serialise its use.
class connection {
 public:
  /// Connects with a libpq connection string or URI. Throws annal::io_error naming the server
  /// (without the password) when it cannot.
  explicit connection(const std::string& conninfo);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Runs one or more statements without parameters; throws as throw_error() on failure.
  void exec(std::string_view sql);
  /// Runs one statement with binary parameters, returning binary rows; throws as throw_error().
  result query(const char* sql, std::initializer_list<param> params = {});
  /// As query(), with the parameters in an array.
  result query(const char* sql, const param* params, int count);
  /// As query(), but returns the server's error instead of throwing it.
  std::optional<server_error> try_query(const char* sql, const param* params, int count,
                                        result* out);
  /// Prepares `sql` as the named statement `name` on this connection; throws as throw_error().
  void prepare(const char* name, const char* sql);
  /// Runs the prepared statement `name`, with binary parameters and rows; throws as
  /// throw_error().
  result query_prepared(const char* name, std::initializer_list<param> params = {});

  /// Sends `data` (a complete binary COPY stream) to a `COPY ... FROM STDIN (FORMAT binary)`
  /// statement; throws as throw_error().
  void copy_in(const char* copy_sql, std::string_view data);
  /// As copy_in(), returning the server's error instead of throwing it.
  std::optional<server_error> try_copy_in(const char* copy_sql, std::string_view data);

  /// Whether the connection is still usable (a broken one must be replaced).
  bool ok() const noexcept { return PQstatus(c_) == CONNECTION_OK; }
  PGconn* handle() const noexcept { return c_; }
  /// The server and database, for messages: "host:port/db".
  const std::string& name() const noexcept { return name_; }

 private:
  std::optional<server_error> check(PGresult* r, ExecStatusType expected, result* out);

  PGconn* c_ = nullptr;
  std::string name_;
};

/// Quotes an identifier ("name") for SQL text.
std::string quote_identifier(std::string_view name);

/// Type OIDs of the binary arrays annal sends.
inline constexpr std::uint32_t text_oid = 25;
inline constexpr std::uint32_t uuid_oid = 2950;
inline constexpr std::uint32_t bytea_oid = 17;
inline constexpr std::uint32_t int8_oid = 20;

/// A one-dimensional array without NULLs in PostgreSQL's binary format, for `= ANY($n)`.
template <class Range>
std::string binary_array(std::uint32_t element_oid, const Range& elements);

/// Big-endian integer encoding of PostgreSQL's binary formats.
void put_be(std::string& out, std::uint64_t value, int bytes);
std::uint64_t get_be(const char* in, int bytes) noexcept;

template <class Range>
std::string binary_array(std::uint32_t element_oid, const Range& elements) {
  std::string out;
  std::size_t count = 0;
  for (const auto& e : elements) {
    (void)e;
    ++count;
  }
  put_be(out, 1, 4);  // dimensions
  put_be(out, 0, 4);  // no NULLs
  put_be(out, element_oid, 4);
  put_be(out, count, 4);
  put_be(out, 1, 4);  // lower bound
  for (const auto& e : elements) {
    std::string_view bytes(e);
    put_be(out, bytes.size(), 4);
    out.append(bytes);
  }
  return out;
}

}  // namespace annal::pg
