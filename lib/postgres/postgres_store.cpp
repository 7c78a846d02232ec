// The PostgreSQL backend: grouped appends under the head row's lock, reads from a pool.
#include "postgres/postgres_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <unordered_map>

#include "annal/error.hpp"
#include "core/append_decision.hpp"
#include "core/commit_group.hpp"
#include "core/metadata_json.hpp"
#include "core/object_pool.hpp"
#include "core/read_window.hpp"
#include "core/store_identity.hpp"
#include "postgres/event_rows.hpp"
#include "postgres/head_listener.hpp"
#include "postgres/schema.hpp"
#include "postgres/snapshot_table.hpp"

namespace annal {
namespace {

using pg::connection;
using pg::param;
using pg::result;

constexpr std::uint32_t int8_oid = 20;
// While notifications arrive, polling is only a safety net.
constexpr std::chrono::milliseconds listening_poll_interval{2000};

std::int64_t to_sql(std::uint64_t value) {
  return static_cast<std::int64_t>(
      std::min<std::uint64_t>(value, std::numeric_limits<std::int64_t>::max()));
}

param limit(std::size_t max_count) {
  // LIMIT NULL is no limit.
  return max_count >= static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())
             ? param()
             : param::int8(static_cast<std::int64_t>(max_count));
}

std::string_view id_bytes(const uuid& id) {
  return {reinterpret_cast<const char*>(id.bytes().data()), id.bytes().size()};
}

std::string int8_bytes(std::uint64_t v) {
  std::string out;
  pg::put_be(out, v, 8);
  return out;
}

// Names of the writer's prepared statements.
constexpr const char* lock_head_statement = "annal_lock_head";
constexpr const char* find_ids_statement = "annal_find_ids";
constexpr const char* find_streams_statement = "annal_find_streams";
constexpr const char* finish_statement = "annal_finish";

// Thrown inside an append transaction taken on the fast path (without looking up the batch's
// event ids first) when an id may be stored already: the transaction is rolled back and run
// again with the lookup.
struct needs_id_lookup {};

// Where each event id of a group is: stored, or placed earlier in the same group. Keyed by the
// id's 16 bytes.
using place_map = std::unordered_map<std::string, detail::event_place>;

// The append rule's view of `places`.
auto lookup_in(const place_map& places) {
  return [&places](const uuid& id) -> std::optional<detail::event_place> {
    auto it = places.find(std::string(id_bytes(id)));
    if (it == places.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

struct postgres_store::pending_append {
  std::string_view stream_id;
  expected_version expected;
  std::span<const event_data> events;
  std::vector<std::string> metadata;
  append_result result;
  std::exception_ptr error;
  bool done = false;
};

// Connections for reads, created on demand and kept for reuse.
class postgres_store::connection_pool {
 public:
  explicit connection_pool(std::string conninfo)
      : pool_([conninfo = std::move(conninfo)] { return std::make_unique<connection>(conninfo); },
              // A connection that failed or is inside a transaction is not reused.
              [](connection& c) {
                return c.ok() && PQtransactionStatus(c.handle()) == PQTRANS_IDLE;
              }) {}

  // Runs `f` on a pooled connection; when the connection turns out to be broken (the server
  // ended it, or restarted), runs it once more on a new one: reads are safe to repeat.
  template <class F>
  auto run(F&& f) {
    {
      auto c = pool_.acquire();
      try {
        return f(*c);
      } catch (const io_error&) {
        if (c->ok()) throw;
      }
    }
    pool_.clear();
    auto c = pool_.acquire();
    return f(*c);
  }

  void clear() noexcept { pool_.clear(); }

 private:
  detail::object_pool<connection> pool_;
};

// The one connection that writes, and the statements of an append transaction.
class postgres_store::writer {
 public:
  writer(std::string conninfo, const std::string& schema, std::chrono::milliseconds stuck_timeout,
         const detail::store_hooks& hooks)
      : conninfo_(std::move(conninfo)),
        hooks_(hooks),
        stuck_timeout_(stuck_timeout),
        lock_head_(fmt::format("SELECT position FROM {} FOR UPDATE", pg::table(schema, "head"))),
        find_ids_(fmt::format(
            "SELECT event_id, position, stream_id, stream_version FROM {} WHERE event_id = ANY($1)",
            pg::table(schema, "events"))),
        find_streams_(fmt::format("SELECT stream_id, version FROM {} WHERE stream_id = ANY($1)",
                                  pg::table(schema, "streams"))),
        copy_(fmt::format("COPY {} ({}) FROM STDIN (FORMAT binary)", pg::table(schema, "events"),
                          pg::event_columns)),
        // One statement moves the streams and the head on and announces the new head, which
        // listeners receive when (and only if) the transaction commits.
        finish_(fmt::format(
            "WITH s AS (INSERT INTO {0} (stream_id, version) SELECT * FROM unnest($1::text[], "
            "$2::int8[]) ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version), "
            "h AS (UPDATE {1} SET position = $3) SELECT pg_notify($4, $5)",
            pg::table(schema, "streams"), pg::table(schema, "head"))),
        channel_(pg::notify_channel(schema)) {}

  // Commits a group of appends in one transaction, giving each its outcome. When the
  // transaction fails (a payload the server refuses, a lost connection), each append is tried
  // again alone, so one bad append fails only itself.
  void commit(std::span<pending_append* const> group) {
    std::lock_guard lock(mutex_);
    std::exception_ptr failure = attempt(group);
    // A lost connection (a server restart, a failover) gets one more try on a new one. Safe even
    // when the lost COMMIT had landed: the events' ids make the retry a no-op that says so.
    if (failure && c_ == nullptr) failure = attempt(group);
    if (!failure) return;
    if (group.size() == 1) {
      group[0]->error = failure;
      return;
    }
    for (pending_append* p : group) {
      if (auto e = attempt(std::span<pending_append* const>(&p, 1))) p->error = e;
    }
  }

  // Replaces the store's identity, in a transaction that holds the head row's lock and finds
  // the log empty.
  void adopt_store_id(const uuid& id, const std::string& identity_table) {
    std::lock_guard lock(mutex_);
    try {
      connection& c = db();
      detail::check_identity_change(begin(c));
      c.query(fmt::format("UPDATE {} SET store_id = $1", identity_table).c_str(),
              {param(id_bytes(id))});
      c.exec("COMMIT");
    } catch (...) {
      recover();
      throw;
    }
  }

  append_result commit_recorded(std::span<const recorded_event> events,
                                const std::vector<std::string>& metadata) {
    std::lock_guard lock(mutex_);
    try {
      return run_recorded(events, metadata);
    } catch (...) {
      recover();
      throw;
    }
  }

  void close() {
    std::lock_guard lock(mutex_);
    c_.reset();
  }

 private:
  connection& db() {
    if (!c_ || !c_->ok()) {
      c_.reset();
      auto c = std::make_unique<connection>(conninfo_);
      // 0 turns the timeout off, as in PostgreSQL.
      c->exec(fmt::format("SET idle_in_transaction_session_timeout = {}", stuck_timeout_.count()));
      c->prepare(lock_head_statement, lock_head_.c_str());
      c->prepare(find_ids_statement, find_ids_.c_str());
      c->prepare(find_streams_statement, find_streams_.c_str());
      c->prepare(finish_statement, finish_.c_str());
      c_ = std::move(c);
    }
    return *c_;
  }

  // Runs the group; on failure rolls back and returns the error.
  std::exception_ptr attempt(std::span<pending_append* const> group) noexcept {
    try {
      try {
        run(group, false);
      } catch (const needs_id_lookup&) {
        recover();
        run(group, true);
      }
      return nullptr;
    } catch (...) {
      recover();
      return std::current_exception();
    }
  }

  // After a failure: roll back, or drop a broken connection (the next call reconnects).
  void recover() noexcept {
    if (!c_) return;
    try {
      if (c_->ok() && PQtransactionStatus(c_->handle()) != PQTRANS_IDLE) c_->exec("ROLLBACK");
    } catch (...) {
      c_.reset();
      return;
    }
    if (!c_->ok()) c_.reset();
  }

  // Begins the transaction and takes the head row's lock: every writer of every process waits
  // here for the one before it to commit, so positions are assigned in commit order.
  std::uint64_t begin(connection& c) {
    c.exec("BEGIN");
    return static_cast<std::uint64_t>(c.query_prepared(lock_head_statement).int8(0, 0));
  }

  template <class Ids>
  place_map stored_places(connection& c, const Ids& ids) {
    place_map places;
    std::string array = pg::binary_array(pg::uuid_oid, ids);
    result r = c.query_prepared(find_ids_statement, {array});
    for (int i = 0; i < r.rows(); ++i) {
      places.emplace(std::string(r.bytes(i, 0)),
                     detail::event_place{std::string(r.bytes(i, 2)),
                                         static_cast<std::uint64_t>(r.int8(i, 3)),
                                         static_cast<std::uint64_t>(r.int8(i, 1))});
    }
    return places;
  }

  template <class Streams>
  std::map<std::string, std::uint64_t, std::less<>> stream_versions(connection& c,
                                                                    const Streams& streams) {
    std::map<std::string, std::uint64_t, std::less<>> versions;
    std::string array = pg::binary_array(pg::text_oid, streams);
    result r = c.query_prepared(find_streams_statement, {array});
    for (int i = 0; i < r.rows(); ++i) {
      versions.emplace(std::string(r.bytes(i, 0)), static_cast<std::uint64_t>(r.int8(i, 1)));
    }
    return versions;
  }

  // Writes the rows, the streams' new versions and the head, then commits.
  void finish(connection& c, pg::copy_buffer& rows,
              const std::map<std::string, std::uint64_t, std::less<>>& touched, std::uint64_t head,
              bool ids_looked_up) {
    std::string_view first_stream = touched.begin()->first;
    if (auto e = c.try_copy_in(copy_.c_str(), rows.finish())) {
      if (!ids_looked_up && e->sqlstate == pg::sqlstate::unique_violation &&
          e->message.find("events_event_id") != std::string::npos) {
        throw needs_id_lookup{};
      }
      pg::throw_error(*e, "PostgreSQL at " + c.name());
    }
    std::vector<std::string_view> ids;
    std::vector<std::string> versions;
    for (const auto& [id, version] : touched) {
      ids.push_back(id);
      versions.push_back(int8_bytes(version));
    }
    std::string id_array = pg::binary_array(pg::text_oid, ids);
    std::string version_array = pg::binary_array(int8_oid, versions);
    std::string head_text = std::to_string(head);
    c.query_prepared(finish_statement,
                     {id_array, version_array, param::int8(to_sql(head)), channel_, head_text});
    if (hooks_.before_commit) hooks_.before_commit(first_stream);
    c.exec("COMMIT");
  }

  // Runs the group in one transaction. The fast path (`look_up_ids` false) does not look up the
  // batches' event ids first: the unique constraint on event_id refuses a stored one, and any
  // outcome but a write (where a retry of a stored batch must win over a wrong expected
  // version) sends the group to the slow path, which looks them up.
  void run(std::span<pending_append* const> group, bool look_up_ids) {
    connection& c = db();
    std::uint64_t head = begin(c);
    std::vector<std::string_view> ids;
    std::vector<std::string_view> streams;
    for (const pending_append* p : group) {
      streams.push_back(p->stream_id);
      for (const auto& e : p->events) ids.push_back(id_bytes(e.id));
    }
    auto places = look_up_ids ? stored_places(c, ids) : place_map{};
    auto versions = stream_versions(c, streams);
    std::map<std::string, std::uint64_t, std::less<>> touched;
    pg::copy_buffer rows;
    std::int64_t now = pg::to_timestamptz(std::chrono::system_clock::now());
    // Decided in order, as if each append ran alone after the ones before it.
    std::vector<std::pair<append_result, std::exception_ptr>> outcomes;
    for (const pending_append* p : group) {
      auto decide = [&]() -> append_result {
        auto v = versions.find(p->stream_id);
        std::uint64_t current = v == versions.end() ? 0 : v->second;
        auto decision = detail::decide_append(p->stream_id, p->expected, p->events, current,
                                              lookup_in(places));
        detail::enforce(decision, p->stream_id, p->expected, p->events);
        if (decision.outcome == detail::append_decision::verdict::retry) return decision.stored;
        for (std::size_t i = 0; i < p->events.size(); ++i) {
          const event_data& e = p->events[i];
          rows.add(head + 1 + i, p->stream_id, current + 1 + i, e.type, e.id, now, p->metadata[i],
                   e.encoding, e.payload);
          places.emplace(std::string(id_bytes(e.id)),
                         detail::event_place{std::string(p->stream_id), current + 1 + i,
                                             head + 1 + i});
        }
        append_result r{head + 1, head + p->events.size(), current + p->events.size(), true};
        head = r.last_position;
        versions.insert_or_assign(std::string(p->stream_id), r.next_expected_version);
        touched.insert_or_assign(std::string(p->stream_id), r.next_expected_version);
        return r;
      };
      try {
        outcomes.emplace_back(decide(), nullptr);
      } catch (const annal::error&) {
        if (!look_up_ids) throw needs_id_lookup{};
        outcomes.emplace_back(append_result{}, std::current_exception());
      }
    }
    if (rows.empty()) {
      c.exec("ROLLBACK");
    } else {
      finish(c, rows, touched, head, look_up_ids);
    }
    for (std::size_t i = 0; i < group.size(); ++i) {
      group[i]->result = outcomes[i].first;
      group[i]->error = outcomes[i].second;
    }
  }

  append_result run_recorded(std::span<const recorded_event> events,
                             const std::vector<std::string>& metadata) {
    const recorded_event& first = events.front();
    connection& c = db();
    std::uint64_t head = begin(c);
    std::vector<std::string_view> ids;
    for (const auto& e : events) ids.push_back(id_bytes(e.id));
    auto places = stored_places(c, ids);
    std::string_view stream(first.stream_id);
    auto versions = stream_versions(c, std::span<const std::string_view>(&stream, 1));
    std::uint64_t current = versions.empty() ? 0 : versions.begin()->second;
    auto decision = detail::decide_recorded_append(events, head, current, lookup_in(places));
    detail::enforce(decision, events);
    pg::copy_buffer rows;
    std::int64_t timestamp = pg::to_timestamptz(first.timestamp);
    for (std::size_t i = 0; i < events.size(); ++i) {
      const recorded_event& e = events[i];
      rows.add(e.position, e.stream_id, e.stream_version, e.type, e.id, timestamp, metadata[i],
               e.encoding, e.payload);
    }
    std::uint64_t last = head + events.size();
    std::map<std::string, std::uint64_t, std::less<>> touched{
        {first.stream_id, current + events.size()}};
    finish(c, rows, touched, last, true);
    return append_result{first.position, last, current + events.size(), true};
  }

  std::string conninfo_;
  const detail::store_hooks& hooks_;
  std::chrono::milliseconds stuck_timeout_;
  std::string lock_head_;
  std::string find_ids_;
  std::string find_streams_;
  std::string copy_;
  std::string finish_;
  std::string channel_;
  std::mutex mutex_;
  std::unique_ptr<connection> c_;
};

postgres_store::postgres_store(std::string conninfo, const store_options& options,
                               detail::store_hooks hooks)
    : conninfo_(std::move(conninfo)), options_(options), hooks_(std::move(hooks)) {
  set_max_payload_size(options_.max_payload_size);
  pg::validate_schema_name(options_.postgres_schema);
  {
    connection c(conninfo_);
    pg::open_schema(c, options_.postgres_schema);
  }
  readers_ = std::make_unique<connection_pool>(conninfo_);
  writer_ = std::make_unique<writer>(conninfo_, options_.postgres_schema,
                                     options_.postgres_stuck_writer_timeout, hooks_);
  snapshots_ = std::make_unique<pg::snapshot_table>(conninfo_, options_.postgres_schema);
  set_poll_interval(options_.poll_interval);
  publish_head(do_head_position());
  auto poll_while_listening = std::max(options_.poll_interval, listening_poll_interval);
  listener_ = std::make_unique<pg::head_listener>(
      conninfo_, pg::notify_channel(options_.postgres_schema),
      pg::table(options_.postgres_schema, "head"),
      [this](std::uint64_t head) { publish_head(head); },
      [this, poll_while_listening](bool listening) {
        set_poll_interval(listening ? poll_while_listening : options_.poll_interval);
      },
      hooks_.before_listen);
}

postgres_store::~postgres_store() { close(); }

append_result postgres_store::do_append(std::string_view stream_id, expected_version expected,
                                        std::span<const event_data> events) {
  pending_append p{stream_id, expected, events, detail::encode_all_metadata(events),
                   {},        nullptr,  false};
  std::unique_lock lock(queue_mutex_);
  queue_.push_back(&p);
  if (hooks_.on_queued) hooks_.on_queued();
  while (!p.done) {
    if (leader_active_) {
      queue_changed_.wait(lock);
    } else {
      lead(lock);
    }
  }
  lock.unlock();
  if (p.error) std::rethrow_exception(p.error);
  if (p.result.written) publish_head(p.result.last_position);
  return p.result;
}

// Takes the queued appends (up to a group's limits), commits them without the queue lock, and
// hands each its outcome.
void postgres_store::lead(std::unique_lock<std::mutex>& queue_lock) {
  leader_active_ = true;
  auto length = static_cast<std::ptrdiff_t>(detail::group_length(
      queue_, {}, [](const pending_append* p) { return p->events; }));
  std::vector<pending_append*> group(queue_.begin(), queue_.begin() + length);
  queue_.erase(queue_.begin(), queue_.begin() + length);
  queue_lock.unlock();
  if (hooks_.before_group) hooks_.before_group(group.size());
  writer_->commit(group);
  queue_lock.lock();
  for (pending_append* p : group) p->done = true;
  leader_active_ = false;
  queue_changed_.notify_all();
}

append_result postgres_store::do_append_recorded(std::span<const recorded_event> events) {
  append_result r = writer_->commit_recorded(events, detail::encode_all_metadata(events));
  publish_head(r.last_position);
  return r;
}

std::vector<recorded_event> postgres_store::do_read_stream(std::string_view stream_id,
                                                           std::uint64_t from_version,
                                                           read_direction direction,
                                                           std::size_t max_count) {
  std::string sql = fmt::format(
      "SELECT {} FROM {} WHERE stream_id = $1 AND stream_version {} $2 ORDER BY stream_version "
      "{} LIMIT $3",
      pg::event_columns, pg::table(options_.postgres_schema, "events"),
      direction == read_direction::forward ? ">=" : "<=",
      direction == read_direction::forward ? "" : "DESC");
  return readers_->run([&](connection& c) {
    result r =
        c.query(sql.c_str(), {stream_id, param::int8(to_sql(from_version)), limit(max_count)});
    std::vector<recorded_event> events;
    events.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) events.push_back(pg::read_event(r, i, c.name()));
    return events;
  });
}

log_slice postgres_store::do_read_all(std::uint64_t from_position, std::size_t max_count,
                                      const read_filter& filter) {
  return readers_->run(
      [&](connection& c) { return read_page(c, from_position, max_count, filter); });
}

log_slice postgres_store::read_page(connection& c, std::uint64_t from_position,
                                    std::size_t max_count, const read_filter& filter) {
  // The head first: every position up to it is committed, since positions become visible in
  // order (docs/postgres.md, "Order"), so the rows read below it are a gapless prefix.
  std::uint64_t head = static_cast<std::uint64_t>(
      c.query(fmt::format("SELECT position FROM {}", pg::table(options_.postgres_schema, "head"))
                  .c_str())
          .int8(0, 0));
  log_slice slice;
  std::uint64_t scan_end = detail::scan_end(from_position, head, !filter.empty());
  if (from_position <= head) {
    std::string sql = fmt::format("SELECT {} FROM {} WHERE position >= $1 AND position < $2",
                                  pg::event_columns, pg::table(options_.postgres_schema, "events"));
    std::string types = pg::binary_array(pg::text_oid, filter.event_types);
    if (!filter.event_types.empty()) sql += " AND type = ANY($4)";
    if (!filter.stream_prefix.empty()) sql += " AND starts_with(stream_id, $5)";
    sql += " ORDER BY position LIMIT $3";
    param params[] = {param::int8(to_sql(from_position)), param::int8(to_sql(scan_end)),
                      limit(max_count), types, filter.stream_prefix};
    int count = !filter.stream_prefix.empty() ? 5 : !filter.event_types.empty() ? 4 : 3;
    if (filter.event_types.empty() && !filter.stream_prefix.empty()) {
      sql.replace(sql.find("$5"), 2, "$4");
      params[3] = params[4];
      count = 4;
    }
    result r = c.query(sql.c_str(), params, count);
    slice.events.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) slice.events.push_back(pg::read_event(r, i, c.name()));
  }
  detail::finish_slice(slice, from_position, max_count, scan_end, head);
  publish_head(head);
  return slice;
}

std::uint64_t postgres_store::do_stream_version(std::string_view stream_id) {
  std::string sql = fmt::format("SELECT version FROM {} WHERE stream_id = $1",
                                pg::table(options_.postgres_schema, "streams"));
  return readers_->run([&](connection& c) {
    result r = c.query(sql.c_str(), {stream_id});
    return r.rows() == 0 ? std::uint64_t{0} : static_cast<std::uint64_t>(r.int8(0, 0));
  });
}

uuid postgres_store::do_store_id() {
  std::string sql = fmt::format("SELECT store_id FROM {}",
                                pg::table(options_.postgres_schema, "store_identity"));
  return readers_->run([&](connection& c) {
    result r = c.query(sql.c_str());
    std::string_view bytes = r.bytes(0, 0);
    if (bytes.size() != 16) throw corruption(c.name(), -1, "store_identity holds no 16-byte id");
    std::array<std::uint8_t, 16> id{};
    std::memcpy(id.data(), bytes.data(), 16);
    return uuid(id);
  });
}

void postgres_store::do_adopt_store_id(const uuid& id) {
  writer_->adopt_store_id(id, pg::table(options_.postgres_schema, "store_identity"));
}

std::uint64_t postgres_store::do_head_position() {
  std::string sql =
      fmt::format("SELECT position FROM {}", pg::table(options_.postgres_schema, "head"));
  return readers_->run(
      [&](connection& c) { return static_cast<std::uint64_t>(c.query(sql.c_str()).int8(0, 0)); });
}

std::vector<stream_summary> postgres_store::do_list_streams(std::string_view prefix,
                                                            std::string_view after,
                                                            std::size_t max_count) {
  // stream_id is text COLLATE "C": compared and sorted bytewise, as the contract says.
  result r = readers_->run([&](connection& c) {
    return c.query(
        fmt::format("SELECT stream_id, version FROM {} WHERE version > 0 AND stream_id > $1 AND "
                    "starts_with(stream_id, $2) ORDER BY stream_id LIMIT $3",
                    pg::table(options_.postgres_schema, "streams"))
            .c_str(),
        {after, prefix, limit(max_count)});
  });
  std::vector<stream_summary> streams;
  for (int i = 0; i < r.rows(); ++i) {
    streams.push_back({std::string(r.bytes(i, 0)), static_cast<std::uint64_t>(r.int8(i, 1))});
  }
  return streams;
}

store_description postgres_store::do_describe() {
  const std::string& s = options_.postgres_schema;
  result r = readers_->run([&](connection& c) {
    return c.query(
        fmt::format("SELECT (SELECT version::int8 FROM {0}), (SELECT count(*) FROM {1} WHERE "
                    "version > 0), pg_total_relation_size('{2}') + pg_total_relation_size('{1}') + "
                    "pg_total_relation_size('{3}') + pg_total_relation_size('{4}')",
                    pg::table(s, "schema_version"), pg::table(s, "streams"), pg::table(s, "events"),
                    pg::table(s, "head"), pg::table(s, "snapshots"))
            .c_str());
  });
  store_description d;
  d.backend = "postgres";
  d.format_version = static_cast<std::uint32_t>(r.int8(0, 0));
  d.stream_count = static_cast<std::uint64_t>(r.int8(0, 1));
  d.bytes_on_disk = static_cast<std::uint64_t>(r.int8(0, 2));
  return d;
}

void postgres_store::do_close() {
  listener_.reset();
  writer_->close();
  readers_->clear();
  snapshots_.reset();
}

snapshot_store& postgres_store::do_snapshots() { return *snapshots_; }

}  // namespace annal
