// The PostgreSQL backend: the queue of appends in front of the writer, reads from a pool.
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
#include "annal/store_admin.hpp"
#include "core/batch_chain.hpp"
#include "core/commit_group.hpp"
#include "core/metadata_json.hpp"
#include "core/object_pool.hpp"
#include "core/read_window.hpp"
#include "core/sql_integer.hpp"
#include "core/store_identity.hpp"
#include "postgres/append_writer.hpp"
#include "postgres/event_query.hpp"
#include "postgres/event_rows.hpp"
#include "postgres/head_listener.hpp"
#include "postgres/key_table.hpp"
#include "postgres/schema.hpp"
#include "postgres/snapshot_table.hpp"

namespace annal {
namespace {

using pg::connection;
using pg::param;
using pg::result;

// While notifications arrive, polling is only a safety net.
constexpr std::chrono::milliseconds listening_poll_interval{2000};

param limit(std::size_t max_count) {
  // LIMIT NULL is no limit.
  return max_count >= static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())
             ? param()
             : param::int8(static_cast<std::int64_t>(max_count));
}

}  // namespace

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
  writer_ = std::make_unique<pg::append_writer>(conninfo_, options_.postgres_schema,
                                                options_.postgres_stuck_writer_timeout, hooks_);
  snapshots_ = std::make_unique<pg::snapshot_table>(conninfo_, options_.postgres_schema);
  keys_ = std::make_unique<pg::key_table>(conninfo_, options_.postgres_schema);
  set_poll_interval(options_.poll_interval);
  publish_head(do_head_position());
  set_stores_tags();
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
  return append_batch(stream_id, expected, events, nullptr);
}

append_result postgres_store::do_append_conditional(std::string_view stream_id,
                                                    expected_version expected,
                                                    std::span<const event_data> events,
                                                    const append_condition& condition) {
  return append_batch(stream_id, expected, events, &condition);
}

append_result postgres_store::append_batch(std::string_view stream_id, expected_version expected,
                                           std::span<const event_data> events,
                                           const append_condition* condition) {
  pg::pending_append p{stream_id, expected, events,  condition, detail::encode_all_metadata(events),
                       {},        {},       nullptr, false};
  // Digests cost the appending thread, beside other appends' commits, not the group's leader.
  p.contents = detail::content_digests(events, p.metadata);
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
  auto length = static_cast<std::ptrdiff_t>(
      detail::group_length(queue_, {}, [](const pg::pending_append* p) { return p->events; }));
  std::vector<pg::pending_append*> group(queue_.begin(), queue_.begin() + length);
  queue_.erase(queue_.begin(), queue_.begin() + length);
  queue_lock.unlock();
  if (hooks_.before_group) hooks_.before_group(group.size());
  writer_->commit(group);
  queue_lock.lock();
  for (pg::pending_append* p : group) p->done = true;
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
    result r = c.query(sql.c_str(),
                       {stream_id, param::int8(detail::to_sql(from_version)), limit(max_count)});
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

std::vector<detail::stored_batch_link> postgres_store::read_batch_links(std::uint64_t from_position,
                                                                        std::size_t max_count) {
  const std::string links_table = pg::table(options_.postgres_schema, "batch_links");
  return readers_->run([&](connection& c) {
    // The batch before `from_position` says where the first one read starts.
    result r = c.query(
        fmt::format("(SELECT last_position, link FROM {0} WHERE last_position < $1 "
                    "ORDER BY last_position DESC LIMIT 1) UNION ALL (SELECT last_position, link "
                    "FROM {0} WHERE last_position >= $1 ORDER BY last_position LIMIT $2)",
                    links_table)
            .c_str(),
        {param::int8(detail::to_sql(from_position)), limit(max_count)});
    std::vector<detail::stored_batch_link> links;
    std::uint64_t previous_last = 0;
    for (int i = 0; i < r.rows(); ++i) {
      auto last = static_cast<std::uint64_t>(r.int8(i, 0));
      if (last < from_position) {
        previous_last = last;
        continue;
      }
      links.push_back({previous_last + 1, last,
                       detail::link_from_bytes(r.bytes(i, 1), links_table, last), links_table});
      previous_last = last;
    }
    return links;
  });
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
    param params[] = {param::int8(detail::to_sql(from_position)),
                      param::int8(detail::to_sql(scan_end)), limit(max_count), types,
                      filter.stream_prefix};
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

query_page postgres_store::do_read_events(const query& q, std::uint64_t after,
                                          std::size_t max_count) {
  const std::string events_table = pg::table(options_.postgres_schema, "events");
  // One statement, so one snapshot: the head it reports and the events it returns agree. With no
  // match it returns one row of NULL events carrying the head.
  std::string up_to = "(SELECT up_to FROM h)";
  std::string positions =
      q.matches_all()
          ? fmt::format(
                "SELECT position FROM {} WHERE position > $2 AND position <= {} ORDER BY "
                "position LIMIT $1",
                events_table, up_to)
          : fmt::format("SELECT position FROM {} WHERE false AND position > $2 LIMIT $1",
                        events_table);  // no item can match
  std::vector<std::string> texts;
  if (!q.matches_all()) {
    if (auto select = pg::matching_positions(
            q, events_table, pg::table(options_.postgres_schema, "event_tags"), up_to)) {
      positions = std::move(select->sql);
      texts = std::move(select->texts);
    }
  }
  std::string sql = fmt::format(
      "WITH h AS (SELECT position AS up_to FROM {}), m AS ({}) SELECT {}, h.up_to FROM h LEFT "
      "JOIN (m JOIN {} USING (position)) ON true ORDER BY position",
      pg::table(options_.postgres_schema, "head"), positions, pg::event_columns, events_table);
  return readers_->run([&](connection& c) {
    std::vector<param> params{limit(max_count), param::int8(detail::to_sql(after))};
    for (const auto& text : texts) params.emplace_back(text);
    result r = c.query(sql.c_str(), params.data(), static_cast<int>(params.size()));
    query_page page;
    page.read_up_to = static_cast<std::uint64_t>(r.int8(0, pg::event_column_count));
    if (r.is_null(0, 0)) return page;
    page.events.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) page.events.push_back(pg::read_event(r, i, c.name()));
    return page;
  });
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
  std::string sql =
      fmt::format("SELECT store_id FROM {}", pg::table(options_.postgres_schema, "store_identity"));
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

std::size_t postgres_store::do_erase_events(std::span<const event_erasure> erasures) {
  writer_->erase_events(erasures);
  return erasures.size();
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
  keys_.reset();
}

snapshot_store& postgres_store::do_snapshots() { return *snapshots_; }

detail::key_store* postgres_store::do_keys() { return keys_.get(); }

}  // namespace annal
