// The registry tables of a read-model database and the build life cycle: create, swap, drop.
// The SQL here runs unchanged on SQLite and PostgreSQL (see read_model_db.hpp).
#include "projection/registry.hpp"

#include <fmt/format.h>

#include <cerrno>

#include "annal/error.hpp"
#include "backends/read_model_database.hpp"

namespace annal::projection_detail {

namespace {

constexpr std::string_view registry_schema = R"sql(
CREATE TABLE IF NOT EXISTS annal_projection_builds(
  name TEXT NOT NULL,
  build BIGINT NOT NULL,
  version BIGINT NOT NULL,
  is_current BIGINT NOT NULL,
  checkpoint BIGINT NOT NULL,
  start_position BIGINT NOT NULL,
  store_id TEXT NOT NULL DEFAULT '',
  checkpoint_event TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(name, build));
CREATE TABLE IF NOT EXISTS annal_projection_names(
  name TEXT PRIMARY KEY,
  last_build BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS annal_projection_tables(
  name TEXT NOT NULL,
  build BIGINT NOT NULL,
  base TEXT NOT NULL,
  physical TEXT NOT NULL,
  PRIMARY KEY(name, build, base));
CREATE TABLE IF NOT EXISTS annal_dead_letters(
  projection TEXT NOT NULL,
  position BIGINT NOT NULL,
  type TEXT NOT NULL,
  stream_id TEXT NOT NULL,
  error TEXT NOT NULL,
  PRIMARY KEY(projection, position));
)sql";

std::string physical_name(std::string_view base, int version, std::int64_t build) {
  return fmt::format("{}__v{}_{}", base, version, build);
}

std::int64_t as_int(std::uint64_t v) { return static_cast<std::int64_t>(v); }

void point_views(read_model_db& db, const table_map& tables) {
  for (const auto& [base, physical] : tables) {
    db.bookkeeping().execute(fmt::format("DROP VIEW IF EXISTS \"{}\"", base));
    db.bookkeeping().execute(
        fmt::format("CREATE VIEW \"{}\" AS SELECT * FROM \"{}\"", base, physical));
  }
}

}  // namespace

std::unique_ptr<read_model_db> open_read_model(const std::string& path) {
  auto db = open_database(path, false);
  db->create_missing(registry_schema);
  // Columns added since the first release of the registry, for databases made before them.
  for (const char* column : {"store_id", "checkpoint_event"}) {
    db->add_missing_column("annal_projection_builds", column, "TEXT NOT NULL DEFAULT ''");
  }
  return db;
}

builds load_builds(read_model_db& db, std::string_view name) {
  builds out;
  model_session& s = db.bookkeeping();
  s.query(
      "SELECT build, version, is_current, checkpoint, start_position, store_id, "
      "checkpoint_event FROM annal_projection_builds WHERE name = $1 ORDER BY build",
      {name}, [&](const sql_row& row) {
        build_record b;
        b.build = row.integer(0);
        b.version = static_cast<int>(row.integer(1));
        b.current = row.integer(2) != 0;
        b.checkpoint = static_cast<std::uint64_t>(row.integer(3));
        b.start = static_cast<std::uint64_t>(row.integer(4));
        b.origin = {row.text(5), row.text(6)};
        (b.current ? out.current : out.shadow) = std::move(b);
      });
  for (auto* b : {&out.current, &out.shadow}) {
    if (!*b) continue;
    s.query("SELECT base, physical FROM annal_projection_tables WHERE name = $1 AND build = $2",
            {name, (*b)->build},
            [&](const sql_row& row) { (*b)->tables.emplace(row.text(0), row.text(1)); });
  }
  return out;
}

build_record create_build(read_model_db& db, const projection& p, bool current, std::uint64_t start,
                          const checkpoint_origin& origin) {
  model_session& s = db.bookkeeping();
  build_record b;
  // Build numbers are never reused, so a replaced shadow build's tables never come back.
  b.build = s.query_int(
                 "INSERT INTO annal_projection_names(name, last_build) VALUES ($1, 1) "
                 "ON CONFLICT(name) DO UPDATE SET last_build = annal_projection_names.last_build "
                 "+ 1 RETURNING last_build",
                 {p.name})
                .value_or(0);
  b.version = p.version;
  b.current = current;
  b.checkpoint = start;
  b.start = start;
  b.origin = origin;
  s.execute(
      "INSERT INTO annal_projection_builds(name, build, version, is_current, checkpoint, "
      "start_position, store_id, checkpoint_event) VALUES ($1, $2, $3, $4, $5, $5, $6, $7)",
      {p.name, b.build, p.version, current ? 1 : 0, as_int(start), origin.store_id,
       origin.event_id});
  for (const auto& base : p.tables) {
    std::string physical = physical_name(base, p.version, b.build);
    s.execute(
        "INSERT INTO annal_projection_tables(name, build, base, physical) VALUES ($1, $2, $3, $4)",
        {p.name, b.build, base, physical});
    b.tables.emplace(base, std::move(physical));
  }
  if (p.create_tables) p.create_tables(*db.session(b.tables));
  if (current) point_views(db, b.tables);
  return b;
}

void drop_build(read_model_db& db, std::string_view name, const build_record& b) {
  model_session& s = db.bookkeeping();
  for (const auto& [base, physical] : b.tables) {
    s.execute(fmt::format("DROP TABLE IF EXISTS \"{}\"", physical));
  }
  s.execute("DELETE FROM annal_projection_tables WHERE name = $1 AND build = $2", {name, b.build});
  s.execute("DELETE FROM annal_projection_builds WHERE name = $1 AND build = $2", {name, b.build});
}

void swap_in(read_model_db& db, std::string_view name, const build_record* old,
             const build_record& shadow) {
  if (old != nullptr) {
    for (const auto& [base, physical] : old->tables) {
      db.bookkeeping().execute(fmt::format("DROP VIEW IF EXISTS \"{}\"", base));
    }
    drop_build(db, name, *old);
  }
  point_views(db, shadow.tables);
  db.bookkeeping().execute(
      "UPDATE annal_projection_builds SET is_current = 1 WHERE name = $1 AND build = $2",
      {name, shadow.build});
}

void set_checkpoint(read_model_db& db, std::string_view name, const build_record& b) {
  db.bookkeeping().execute(
      "UPDATE annal_projection_builds SET checkpoint = $1, start_position = $2, version = $3, "
      "store_id = $4, checkpoint_event = $5 WHERE name = $6 AND build = $7",
      {as_int(b.checkpoint), as_int(b.start), b.version, b.origin.store_id, b.origin.event_id, name,
       b.build});
}

void advance_checkpoint(read_model_db& db, std::string_view name, std::int64_t build,
                        std::uint64_t from, std::uint64_t to, const checkpoint_origin& origin) {
  std::int64_t moved = db.bookkeeping().execute(
      "UPDATE annal_projection_builds SET checkpoint = $1, store_id = $2, checkpoint_event = $3 "
      "WHERE name = $4 AND build = $5 AND checkpoint = $6",
      {as_int(to), origin.store_id, origin.event_id, name, build, as_int(from)});
  if (moved != 1) {
    throw io_error(EBUSY, db.where(),
                   fmt::format("projection '{}' build {}: the checkpoint is no longer {}; another "
                               "runner is running this projection on the same read model",
                               name, build, from));
  }
}

void record_dead_letter(read_model_db& db, const dead_letter& letter) {
  db.bookkeeping().execute(
      "INSERT INTO annal_dead_letters(projection, position, type, stream_id, error) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT(projection, position) DO UPDATE SET "
      "type = excluded.type, stream_id = excluded.stream_id, error = excluded.error",
      {letter.projection, as_int(letter.position), letter.type, letter.stream_id, letter.error});
}

std::vector<dead_letter> read_dead_letters(read_model_db& db, std::string_view name) {
  std::vector<dead_letter> out;
  db.bookkeeping().query(
      "SELECT position, type, stream_id, error FROM annal_dead_letters WHERE projection = $1 "
      "ORDER BY position",
      {name}, [&](const sql_row& row) {
        out.push_back({std::string(name), static_cast<std::uint64_t>(row.integer(0)), row.text(1),
                       row.text(2), row.text(3)});
      });
  return out;
}

std::uint64_t count_dead_letters(read_model_db& db, std::string_view name) {
  return static_cast<std::uint64_t>(
      db.bookkeeping()
          .query_int("SELECT count(*) FROM annal_dead_letters WHERE projection = $1", {name})
          .value_or(0));
}

std::string current_table(read_model_db& db, std::string_view projection, std::string_view base) {
  std::string out;
  db.bookkeeping().query(
      "SELECT t.physical FROM annal_projection_tables t JOIN annal_projection_builds b "
      "ON b.name = t.name AND b.build = t.build WHERE t.name = $1 AND t.base = $2 AND "
      "b.is_current = 1",
      {projection, base}, [&](const sql_row& row) { out = row.text(0); });
  return out;
}

}  // namespace annal::projection_detail
