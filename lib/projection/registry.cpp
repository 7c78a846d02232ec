// The registry tables of a read-model database and the build life cycle: create, swap, drop.
#include "projection/registry.hpp"

#include <fmt/format.h>

namespace annal::projection_detail {

namespace {

constexpr const char* registry_schema = R"sql(
CREATE TABLE IF NOT EXISTS annal_projection_builds(
  name TEXT NOT NULL,
  build INTEGER NOT NULL,
  version INTEGER NOT NULL,
  is_current INTEGER NOT NULL,
  checkpoint INTEGER NOT NULL,
  start_position INTEGER NOT NULL,
  PRIMARY KEY(name, build));
CREATE TABLE IF NOT EXISTS annal_projection_tables(
  name TEXT NOT NULL,
  build INTEGER NOT NULL,
  base TEXT NOT NULL,
  physical TEXT NOT NULL,
  PRIMARY KEY(name, build, base));
CREATE TABLE IF NOT EXISTS annal_dead_letters(
  projection TEXT NOT NULL,
  position INTEGER NOT NULL,
  type TEXT NOT NULL,
  stream_id TEXT NOT NULL,
  error TEXT NOT NULL,
  PRIMARY KEY(projection, position));
)sql";

std::string physical_name(std::string_view base, int version, std::int64_t build) {
  return fmt::format("{}__v{}_{}", base, version, build);
}

void point_views(sqlite::connection& c, const table_map& tables) {
  for (const auto& [base, physical] : tables) {
    c.exec(fmt::format("DROP VIEW IF EXISTS \"{0}\"; CREATE VIEW \"{0}\" AS SELECT * FROM \"{1}\"",
                       base, physical)
               .c_str());
  }
}

}  // namespace

sqlite::connection open_read_model(const std::string& path) {
  sqlite::connection c(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  c.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;");
  c.exec(registry_schema);
  return c;
}

builds load_builds(sqlite::connection& c, std::string_view name) {
  builds out;
  sqlite::statement s = c.prepare(
      "SELECT build, version, is_current, checkpoint, start_position FROM annal_projection_builds "
      "WHERE name = ?1 ORDER BY build");
  s.bind(1, name);
  while (s.step()) {
    build_record b;
    b.build = s.column_int(0);
    b.version = static_cast<int>(s.column_int(1));
    b.current = s.column_int(2) != 0;
    b.checkpoint = static_cast<std::uint64_t>(s.column_int(3));
    b.start = static_cast<std::uint64_t>(s.column_int(4));
    (b.current ? out.current : out.shadow) = std::move(b);
  }
  sqlite::statement t = c.prepare(
      "SELECT base, physical FROM annal_projection_tables WHERE name = ?1 AND build = ?2");
  for (auto* b : {&out.current, &out.shadow}) {
    if (!*b) continue;
    t.bind(1, name);
    t.bind(2, (*b)->build);
    while (t.step()) (*b)->tables.emplace(t.column_text(0), t.column_text(1));
    t.reset();
  }
  return out;
}

build_record create_build(sqlite::connection& c, const projection& p, bool current,
                          std::uint64_t start) {
  build_record b;
  sqlite::statement next =
      c.prepare("SELECT coalesce(max(build), 0) + 1 FROM annal_projection_builds WHERE name = ?1");
  next.bind(1, p.name);
  next.step();
  b.build = next.column_int(0);
  b.version = p.version;
  b.current = current;
  b.checkpoint = start;
  b.start = start;
  sqlite::statement insert = c.prepare(
      "INSERT INTO annal_projection_builds(name, build, version, is_current, checkpoint, "
      "start_position) VALUES (?1, ?2, ?3, ?4, ?5, ?5)");
  insert.bind(1, p.name);
  insert.bind(2, b.build);
  insert.bind(3, std::int64_t{p.version});
  insert.bind(4, std::int64_t{current ? 1 : 0});
  insert.bind(5, static_cast<std::int64_t>(start));
  insert.step();
  sqlite::statement table = c.prepare(
      "INSERT INTO annal_projection_tables(name, build, base, physical) VALUES (?1, ?2, ?3, ?4)");
  for (const auto& base : p.tables) {
    std::string physical = physical_name(base, p.version, b.build);
    table.bind(1, p.name);
    table.bind(2, b.build);
    table.bind(3, base);
    table.bind(4, physical);
    table.step();
    table.reset();
    b.tables.emplace(base, std::move(physical));
  }
  if (p.create_tables) {
    sql_session session(c, b.tables);
    p.create_tables(session);
  }
  if (current) point_views(c, b.tables);
  return b;
}

void drop_build(sqlite::connection& c, std::string_view name, const build_record& b) {
  for (const auto& [base, physical] : b.tables) {
    c.exec(fmt::format("DROP TABLE IF EXISTS \"{}\"", physical).c_str());
  }
  for (const char* sql : {"DELETE FROM annal_projection_tables WHERE name = ?1 AND build = ?2",
                          "DELETE FROM annal_projection_builds WHERE name = ?1 AND build = ?2"}) {
    sqlite::statement s = c.prepare(sql);
    s.bind(1, name);
    s.bind(2, b.build);
    s.step();
  }
}

void swap_in(sqlite::connection& c, std::string_view name, const build_record* old,
             const build_record& shadow) {
  if (old != nullptr) {
    for (const auto& [base, physical] : old->tables) {
      c.exec(fmt::format("DROP VIEW IF EXISTS \"{}\"", base).c_str());
    }
    drop_build(c, name, *old);
  }
  point_views(c, shadow.tables);
  sqlite::statement s =
      c.prepare("UPDATE annal_projection_builds SET is_current = 1 WHERE name = ?1 AND build = ?2");
  s.bind(1, name);
  s.bind(2, shadow.build);
  s.step();
}

void set_checkpoint(sqlite::connection& c, std::string_view name, const build_record& b) {
  sqlite::statement s = c.prepare(
      "UPDATE annal_projection_builds SET checkpoint = ?3, start_position = ?4, version = ?5 "
      "WHERE name = ?1 AND build = ?2");
  s.bind(1, name);
  s.bind(2, b.build);
  s.bind(3, static_cast<std::int64_t>(b.checkpoint));
  s.bind(4, static_cast<std::int64_t>(b.start));
  s.bind(5, std::int64_t{b.version});
  s.step();
}

void record_dead_letter(sqlite::connection& c, const dead_letter& letter) {
  sqlite::statement s = c.prepare(
      "INSERT OR REPLACE INTO annal_dead_letters(projection, position, type, stream_id, error) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  s.bind(1, letter.projection);
  s.bind(2, static_cast<std::int64_t>(letter.position));
  s.bind(3, letter.type);
  s.bind(4, letter.stream_id);
  s.bind(5, letter.error);
  s.step();
}

std::vector<dead_letter> read_dead_letters(sqlite::connection& c, std::string_view name) {
  std::vector<dead_letter> out;
  sqlite::statement s = c.prepare(
      "SELECT position, type, stream_id, error FROM annal_dead_letters WHERE projection = ?1 "
      "ORDER BY position");
  s.bind(1, name);
  while (s.step()) {
    out.push_back({std::string(name), static_cast<std::uint64_t>(s.column_int(0)), s.column_text(1),
                   s.column_text(2), s.column_text(3)});
  }
  return out;
}

std::uint64_t count_dead_letters(sqlite::connection& c, std::string_view name) {
  sqlite::statement s = c.prepare("SELECT count(*) FROM annal_dead_letters WHERE projection = ?1");
  s.bind(1, name);
  s.step();
  return static_cast<std::uint64_t>(s.column_int(0));
}

checkpoint_writer::checkpoint_writer(sqlite::connection& c)
    : update_(c.prepare(
          "UPDATE annal_projection_builds SET checkpoint = ?3 WHERE name = ?1 AND build = ?2")) {}

void checkpoint_writer::write(std::string_view name, std::int64_t build, std::uint64_t checkpoint) {
  sqlite::statement_use use(update_);
  update_.bind(1, name);
  update_.bind(2, build);
  update_.bind(3, static_cast<std::int64_t>(checkpoint));
  update_.step();
}

}  // namespace annal::projection_detail
