// Snapshots of the PostgreSQL backend, in a table beside the log.
#include "postgres/snapshot_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "annal/error.hpp"
#include "annal/event_store.hpp"
#include "core/sql_integer.hpp"
#include "postgres/event_rows.hpp"
#include "postgres/schema.hpp"

namespace annal::pg {
namespace {

using detail::to_sql;

}  // namespace

snapshot_table::snapshot_table(std::string conninfo, std::string schema)
    : conninfo_(std::move(conninfo)), schema_(std::move(schema)) {
  std::string t = table(schema_, "snapshots");
  save_sql_ = fmt::format(
      "INSERT INTO {} (stream_id, version, fingerprint, position, aggregate_type, encoding, "
      "taken_at, payload) VALUES ($1, $2, $3, $4, $5, $6::int8::int2, $7::int8 * interval '1 "
      "microsecond' + timestamptz '2000-01-01 00:00:00+00', $8) "
      "ON CONFLICT (stream_id, version, fingerprint) DO UPDATE SET position = EXCLUDED.position, "
      "aggregate_type = EXCLUDED.aggregate_type, encoding = EXCLUDED.encoding, "
      "taken_at = EXCLUDED.taken_at, payload = EXCLUDED.payload",
      t);
  // Keeps the `keep` newest by version; at one version the snapshot just saved wins.
  trim_sql_ = fmt::format(
      "DELETE FROM {0} WHERE stream_id = $1 AND (version, fingerprint) NOT IN ("
      "SELECT version, fingerprint FROM {0} WHERE stream_id = $1 ORDER BY version DESC, "
      "(version = $3 AND fingerprint = $4) DESC, taken_at DESC, fingerprint DESC LIMIT $2)",
      t);
  newest_sql_ = fmt::format(
      "SELECT version, position, aggregate_type, encoding, taken_at, payload FROM {} "
      "WHERE stream_id = $1 AND fingerprint = $2 AND version <= $3 AND position <= $4 "
      "ORDER BY version DESC LIMIT 1",
      t);
  mismatched_sql_ = fmt::format(
      "SELECT count(*) FROM {} WHERE stream_id = $1 AND fingerprint <> $2 AND version <= $3 "
      "AND position <= $4 AND version > $5",
      t);
  drop_sql_ = fmt::format("DELETE FROM {} WHERE aggregate_type = $1", t);
  count_sql_ = fmt::format("SELECT count(*) FROM {}", t);
  db_ = std::make_unique<connection>(conninfo_);
}

snapshot_table::~snapshot_table() = default;

connection& snapshot_table::db() {
  if (!db_ || !db_->ok()) {
    db_.reset();
    db_ = std::make_unique<connection>(conninfo_);
  }
  return *db_;
}

template <class F>
auto snapshot_table::in_transaction(const char* begin, F&& body) {
  connection& c = db();
  c.exec(begin);
  try {
    auto out = body(c);
    c.exec("COMMIT");
    return out;
  } catch (...) {
    if (c.ok()) c.exec("ROLLBACK");
    throw;
  }
}

void snapshot_table::save(const snapshot& s, std::size_t keep) {
  validate_stream_id(s.stream_id);
  std::int64_t kept = to_sql(std::max<std::size_t>(keep, 1));
  auto fingerprint = static_cast<std::int64_t>(s.fingerprint);
  std::lock_guard lock(mutex_);
  in_transaction("BEGIN", [&](connection& c) {
    c.query(save_sql_.c_str(),
            {s.stream_id, param::int8(to_sql(s.version)), param::int8(fingerprint),
             param::int8(to_sql(s.position)), s.aggregate_type,
             param::int8(static_cast<std::int64_t>(s.encoding)),
             param::int8(to_timestamptz(s.taken_at)), s.payload});
    c.query(trim_sql_.c_str(), {s.stream_id, param::int8(kept), param::int8(to_sql(s.version)),
                                param::int8(fingerprint)});
    return 0;
  });
}

snapshot_lookup snapshot_table::load(std::string_view stream_id, std::uint64_t fingerprint,
                                     std::uint64_t max_version, std::uint64_t max_position) {
  validate_stream_id(stream_id);
  auto signed_fingerprint = static_cast<std::int64_t>(fingerprint);
  std::lock_guard lock(mutex_);
  // One snapshot of the table, so the count agrees with the snapshot found.
  return in_transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", [&](connection& c) {
    snapshot_lookup out;
    result r = c.query(newest_sql_.c_str(),
                       {stream_id, param::int8(signed_fingerprint),
                        param::int8(to_sql(max_version)), param::int8(to_sql(max_position))});
    if (r.rows() == 1) {
      snapshot s;
      s.stream_id = std::string(stream_id);
      s.version = static_cast<std::uint64_t>(r.int8(0, 0));
      s.position = static_cast<std::uint64_t>(r.int8(0, 1));
      s.aggregate_type = std::string(r.bytes(0, 2));
      s.fingerprint = fingerprint;
      std::int16_t encoding = r.int2(0, 3);
      if (encoding != static_cast<std::int16_t>(snapshot_encoding::json) &&
          encoding != static_cast<std::int16_t>(snapshot_encoding::cbor)) {
        throw corruption(c.name(), -1,
                         fmt::format("the snapshot of '{}' at version {} has unknown encoding {}",
                                     stream_id, s.version, encoding));
      }
      s.encoding = static_cast<snapshot_encoding>(encoding);
      s.taken_at = from_timestamptz(r.int8(0, 4));
      s.payload = std::string(r.bytes(0, 5));
      out.found = std::move(s);
    }
    std::int64_t above = out.found ? to_sql(out.found->version) : -1;
    result m =
        c.query(mismatched_sql_.c_str(),
                {stream_id, param::int8(signed_fingerprint), param::int8(to_sql(max_version)),
                 param::int8(to_sql(max_position)), param::int8(above)});
    out.mismatched = static_cast<std::size_t>(m.int8(0, 0));
    return out;
  });
}

std::size_t snapshot_table::drop_type(std::string_view aggregate_type) {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(db().query(drop_sql_.c_str(), {aggregate_type}).affected());
}

std::size_t snapshot_table::count() {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(db().query(count_sql_.c_str()).int8(0, 0));
}

}  // namespace annal::pg
