// The PostgreSQL backend's schema: versioned creation steps run in one transaction each.
#include "postgres/schema.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <vector>

#include "annal/error.hpp"
#include "core/batch_chain.hpp"
#include "core/sql_integer.hpp"
#include "postgres/event_rows.hpp"

namespace annal::pg {
namespace {

// FNV-1a 64, for advisory lock keys and channel names derived from a schema name.
std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 14695981039346656037ull;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

// Step N brings a schema at version N - 1 to version N. {s} is the quoted schema name.
constexpr const char* steps[] = {
    // 1: the log. Positions are assigned under the head row's lock (docs/postgres.md, "Order").
    R"sql(
CREATE TABLE {s}.schema_version (version integer NOT NULL);
INSERT INTO {s}.schema_version VALUES (0);
CREATE TABLE {s}.head (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  position bigint NOT NULL);
INSERT INTO {s}.head VALUES (true, 0);
CREATE TABLE {s}.streams (
  stream_id text COLLATE "C" PRIMARY KEY,
  version bigint NOT NULL);
CREATE TABLE {s}.events (
  position bigint PRIMARY KEY,
  stream_id text COLLATE "C" NOT NULL,
  stream_version bigint NOT NULL,
  type text COLLATE "C" NOT NULL,
  event_id uuid NOT NULL,
  recorded_at timestamptz NOT NULL,
  metadata jsonb,
  payload json,
  payload_bytes bytea,
  CONSTRAINT events_stream_version UNIQUE (stream_id, stream_version),
  CONSTRAINT events_event_id UNIQUE (event_id),
  CONSTRAINT events_one_payload CHECK ((payload IS NULL) <> (payload_bytes IS NULL)));
CREATE FUNCTION {s}.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'annal events are append-only: % refused', TG_OP
    USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON {s}.events
  FOR EACH ROW EXECUTE FUNCTION {s}.refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON {s}.events
  FOR EACH STATEMENT EXECUTE FUNCTION {s}.refuse_change();
)sql",
    // 2: snapshots, derived data beside the log.
    R"sql(
CREATE TABLE {s}.snapshots (
  stream_id bytea NOT NULL,
  version bigint NOT NULL,
  fingerprint bigint NOT NULL,
  position bigint NOT NULL,
  aggregate_type bytea NOT NULL,
  encoding smallint NOT NULL,
  taken_at timestamptz NOT NULL,
  payload bytea NOT NULL,
  PRIMARY KEY (stream_id, version, fingerprint));
CREATE INDEX snapshots_aggregate_type ON {s}.snapshots (aggregate_type);
)sql",
    // 3: the store's identity, a random id fixed at creation (or at this step for older stores).
    R"sql(
CREATE TABLE {s}.store_identity (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  store_id uuid NOT NULL);
INSERT INTO {s}.store_identity (store_id) VALUES (gen_random_uuid());
)sql",
    // 4: the version of each event's type (docs/evolution.md). A constant default rewrites no
    // row: events stored before this step read as version 1.
    R"sql(
ALTER TABLE {s}.events ADD COLUMN type_version integer NOT NULL DEFAULT 1;
)sql",
    // 5: a scavenge may erase an event (docs/lifecycle.md): the one UPDATE the trigger lets
    // through turns a user's event into '$erased' and keeps its place, id and time.
    R"sql(
CREATE OR REPLACE FUNCTION {s}.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.type = '$erased' AND left(OLD.type, 1) <> '$'
     AND NEW.position = OLD.position AND NEW.stream_id = OLD.stream_id
     AND NEW.stream_version = OLD.stream_version AND NEW.event_id = OLD.event_id
     AND NEW.recorded_at = OLD.recorded_at THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'annal events are append-only: % refused', TG_OP
    USING ERRCODE = 'restrict_violation';
END $$;
)sql",
    // 6: each subject's key for its personal data (docs/privacy.md); a NULL key marks a subject
    // whose key forget() destroyed.
    R"sql(
CREATE TABLE {s}.subject_keys (
  subject text PRIMARY KEY,
  key bytea);
)sql",
    // 7: the hash chain (docs/integrity.md): one link a batch, and the last link in the head row
    // so that an append reads it with the head's lock. The events already stored are linked
    // once, by link_stored_batches(), in the step's transaction.
    R"sql(
ALTER TABLE {s}.head ADD COLUMN link bytea;
CREATE TABLE {s}.batch_links (
  last_position bigint PRIMARY KEY,
  link bytea NOT NULL);
CREATE FUNCTION {s}.refuse_link_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'annal batch links are append-only: % refused', TG_OP
    USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER batch_links_append_only BEFORE UPDATE OR DELETE ON {s}.batch_links
  FOR EACH ROW EXECUTE FUNCTION {s}.refuse_link_change();
CREATE TRIGGER batch_links_no_truncate BEFORE TRUNCATE ON {s}.batch_links
  FOR EACH STATEMENT EXECUTE FUNCTION {s}.refuse_link_change();
)sql",
    // 8: event tags (docs/dcb.md): a sorted array beside each event, NULL for none, and B-tree
    // indexes that serve queries: (tag, position) for tags, (type, position) for types. No row
    // is rewritten; building the type index takes the step's time on a large log.
    R"sql(
ALTER TABLE {s}.events ADD COLUMN tags text[] COLLATE "C";
CREATE TABLE {s}.event_tags (
  tag text COLLATE "C" NOT NULL,
  position bigint NOT NULL,
  PRIMARY KEY (tag, position));
CREATE INDEX events_type_position ON {s}.events (type, position);
)sql",
};
static_assert(std::size(steps) == schema_version);

// The step that adds the hash chain, after whose SQL link_stored_batches() runs.
constexpr std::int64_t chain_step = 7;
// Links the events stored before the chain step once (core's rule of what a stored batch is),
// holding the head row's lock.
void link_stored_batches(connection& c, const std::string& schema) {
  c.query(fmt::format("SELECT position FROM {} FOR UPDATE", table(schema, "head")).c_str());
  std::string page =
      fmt::format("SELECT {} FROM {} WHERE position > $1 ORDER BY position LIMIT 10000",
                  event_columns_at(chain_step), table(schema, "events"));
  std::string insert = fmt::format(
      "INSERT INTO {} (last_position, link) SELECT * FROM unnest($1::int8[], $2::bytea[])",
      table(schema, "batch_links"));
  std::vector<std::string> last_positions;
  std::vector<std::string> links;
  detail::stored_batch_linker linker(
      [&](std::uint64_t last_position, const detail::sha256_digest& link) {
        std::string position;
        put_be(position, last_position, 8);
        last_positions.push_back(std::move(position));
        links.emplace_back(reinterpret_cast<const char*>(link.data()), link.size());
      });
  auto write_links = [&] {
    if (links.empty()) return;
    std::string position_array = binary_array(int8_oid, last_positions);
    std::string link_array = binary_array(bytea_oid, links);
    c.query(insert.c_str(), {param(position_array), param(link_array)});
    last_positions.clear();
    links.clear();
  };
  std::uint64_t after = 0;
  for (;;) {
    result r = c.query(page.c_str(), {param::int8(detail::to_sql(after))});
    if (r.rows() == 0) break;
    for (int i = 0; i < r.rows(); ++i) {
      recorded_event e = read_event(r, i, c.name());
      after = e.position;
      linker.add(std::move(e));
    }
    write_links();
  }
  detail::sha256_digest link = linker.finish();
  write_links();
  if (link != detail::chain_start) {
    c.query(fmt::format("UPDATE {} SET link = $1", table(schema, "head")).c_str(),
            {param(std::string_view(reinterpret_cast<const char*>(link.data()), link.size()))});
  }
}

std::int64_t current_version(connection& c, const std::string& schema) {
  result tables =
      c.query("SELECT to_regclass($1)::text IS NOT NULL, to_regclass($2)::text IS NOT NULL",
              {table(schema, "schema_version"), table(schema, "events")});
  bool versioned = tables.bytes(0, 0) == std::string_view("\1", 1);
  bool has_events = tables.bytes(0, 1) == std::string_view("\1", 1);
  if (!versioned) {
    if (has_events) {
      throw corruption(c.name(), -1,
                       fmt::format("schema '{}' holds an events table without annal's "
                                   "schema_version table: not an annal store",
                                   schema));
    }
    return -1;
  }
  result v = c.query(
      fmt::format("SELECT version::bigint FROM {}", table(schema, "schema_version")).c_str());
  if (v.rows() != 1) {
    throw corruption(
        c.name(), -1,
        fmt::format("schema '{}': schema_version holds {} rows, not 1", schema, v.rows()));
  }
  return v.int8(0, 0);
}

}  // namespace

void validate_schema_name(const std::string& schema) {
  bool valid = !schema.empty() && schema.size() <= 63 && !(schema[0] >= '0' && schema[0] <= '9');
  for (char c : schema) {
    valid = valid && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_');
  }
  if (!valid) {
    throw invalid_argument(fmt::format(
        "PostgreSQL schema name '{}' must be 1 to 63 letters, digits and underscores, not "
        "starting with a digit",
        schema));
  }
}

std::string table(const std::string& schema, const char* name) {
  return quote_identifier(schema) + "." + name;
}

std::string notify_channel(const std::string& schema) {
  return fmt::format("annal_{:016x}", fnv1a(schema));
}

void require_store_schema(connection& c, const std::string& schema) {
  if (c.query("SELECT to_regclass($1)::text IS NULL", {table(schema, "schema_version")})
          .bytes(0, 0) == std::string_view("\1", 1)) {
    throw io_error(ENOENT, c.name(),
                   fmt::format("no postgres store here: schema '{}' holds no annal store", schema));
  }
}

void open_schema(connection& c, const std::string& schema, std::int64_t up_to) {
  auto key = static_cast<std::int64_t>(fnv1a("annal schema " + schema));
  c.query("SELECT pg_advisory_lock($1)", {param::int8(key)});
  try {
    std::int64_t version = current_version(c, schema);
    if (version > schema_version) {
      throw unsupported_format_version(c.name() + " schema " + schema, version, schema_version);
    }
    std::string quoted = quote_identifier(schema);
    // Each step commits with the version it reaches, so a crash leaves a whole version.
    for (; version < up_to; ++version) {
      std::int64_t from = std::max<std::int64_t>(version, 0);
      c.exec(fmt::format("BEGIN; {} {}",
                         version < 0 ? "CREATE SCHEMA IF NOT EXISTS " + quoted + ";" : "",
                         fmt::format(fmt::runtime(steps[from]), fmt::arg("s", quoted))));
      if (from + 1 == chain_step) link_stored_batches(c, schema);
      c.exec(fmt::format("UPDATE {}.schema_version SET version = {}; COMMIT", quoted, from + 1));
      version = from;
    }
  } catch (...) {
    if (c.ok()) {
      c.exec("ROLLBACK");
      c.query("SELECT pg_advisory_unlock($1)", {param::int8(key)});
    }
    throw;
  }
  c.query("SELECT pg_advisory_unlock($1)", {param::int8(key)});
}

}  // namespace annal::pg
