// The SQLite backend: appends through one writer connection, reads through a connection pool.
#include "sqlite/sqlite_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <limits>
#include <optional>

#include "annal/error.hpp"
#include "annal/store_admin.hpp"
#include "core/append_decision.hpp"
#include "core/batch_chain.hpp"
#include "core/metadata_json.hpp"
#include "core/object_pool.hpp"
#include "core/read_window.hpp"
#include "core/sql_integer.hpp"
#include "core/store_identity.hpp"
#include "core/stream_lifecycle.hpp"
#include "core/type_version.hpp"
#include "sqlite/event_row.hpp"
#include "sqlite/sqlite_schema.hpp"
#include "sqlite/tag_query.hpp"

namespace annal {
namespace {

using sqlite::connection;
using sqlite::event_columns;
using sqlite::read_event_row;
using sqlite::statement;
using sqlite::statement_use;
using sqlite::stream_id_column;
using sqlite::transaction;

using detail::to_sql;

// LIMIT -1 means no limit in SQLite.
std::int64_t to_sql_limit(std::size_t max_count) {
  return max_count >= static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())
             ? -1
             : static_cast<std::int64_t>(max_count);
}

std::int64_t now_microseconds() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void configure(connection& db, const store_options& options) {
  sqlite3_busy_timeout(
      db.handle(), static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(
                       options.sqlite_busy_timeout.count(), 0, std::numeric_limits<int>::max())));
  db.exec(fmt::format("PRAGMA cache_size = -{};", std::max(1, options.sqlite_cache_mib) * 1024)
              .c_str());
}

}  // namespace

struct sqlite_store::writer {
  explicit writer(connection c)
      : db(std::move(c)),
        find_event(
            db.prepare("SELECT e.position, s.stream_id, e.stream_version FROM events e "
                       "JOIN streams s ON s.stream_key = e.stream_key WHERE e.event_id = ?1")),
        // The stream's key and version, and whether its last event is a tombstone.
        find_stream(db.prepare(
            fmt::format("SELECT s.stream_key, s.version, coalesce(e.type = '{}', 0) FROM "
                        "streams s LEFT JOIN events e ON e.stream_key = s.stream_key AND "
                        "e.stream_version = s.version WHERE s.stream_id = ?1",
                        detail::tombstone_event_type))),
        insert_stream(db.prepare("INSERT INTO streams (stream_id, version) VALUES (?1, 0)")),
        update_stream(db.prepare("UPDATE streams SET version = ?2 WHERE stream_key = ?1")),
        head(db.prepare("SELECT coalesce(max(position), 0) FROM events")),
        last_link(db.prepare(
            "SELECT last_position, link FROM batch_links ORDER BY last_position DESC LIMIT 1")),
        insert_link(db.prepare("INSERT INTO batch_links (last_position, link) VALUES (?1, ?2)")),
        insert_event(
            db.prepare("INSERT INTO events (position, stream_key, stream_version, type, event_id, "
                       "timestamp_us, encoding, metadata, payload, type_version, tags) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")),
        intern_tag(db.prepare("INSERT OR IGNORE INTO tags (tag) VALUES (?1)")),
        find_tag(db.prepare("SELECT tag_key FROM tags WHERE tag = ?1")),
        insert_event_tag(db.prepare("INSERT INTO event_tags (tag_key, position) VALUES (?1, ?2)")) {
  }

  std::optional<detail::event_place> where_is(const uuid& id) {
    statement_use use(find_event);
    find_event.bind_blob(1, id.bytes().data(), id.bytes().size());
    if (!find_event.step()) return std::nullopt;
    return detail::event_place{find_event.column_text(1),
                               static_cast<std::uint64_t>(find_event.column_int(2)),
                               static_cast<std::uint64_t>(find_event.column_int(0))};
  }

  struct stream_row {
    std::int64_t key = 0;  // 0 when the stream has no events
    std::uint64_t version = 0;
    bool tombstoned = false;
  };

  stream_row stream_of(std::string_view stream_id) {
    statement_use use(find_stream);
    find_stream.bind(1, stream_id);
    if (!find_stream.step()) return {};
    return {find_stream.column_int(0), static_cast<std::uint64_t>(find_stream.column_int(1)),
            find_stream.column_int(2) != 0};
  }

  std::int64_t add_stream(std::string_view stream_id) {
    statement_use use(insert_stream);
    insert_stream.bind(1, stream_id);
    insert_stream.step();
    return sqlite3_last_insert_rowid(db.handle());
  }

  std::uint64_t head_position() {
    statement_use use(head);
    head.step();
    return static_cast<std::uint64_t>(head.column_int(0));
  }

  // The link of the last batch stored, or the chain's start.
  detail::sha256_digest previous_link() {
    statement_use use(last_link);
    if (!last_link.step()) return detail::chain_start;
    return detail::link_from_bytes(last_link.column_text(1), db.path(),
                                   static_cast<std::uint64_t>(last_link.column_int(0)));
  }

  void add_link(std::uint64_t last_position, const detail::sha256_digest& link) {
    statement_use use(insert_link);
    insert_link.bind(1, to_sql(last_position));
    insert_link.bind_blob(2, link.data(), link.size());
    insert_link.step();
  }

  // Inserts a batch at consecutive positions and versions, all with `timestamp` (microseconds
  // since the epoch), and moves the stream's version on. Event is event_data or recorded_event.
  template <class Event>
  void insert_events(std::span<const Event> events, const std::vector<std::string>& metadata,
                     std::int64_t stream_key, std::uint64_t first_position,
                     std::uint64_t first_version, std::int64_t timestamp) {
    for (std::size_t i = 0; i < events.size(); ++i) {
      const Event& e = events[i];
      statement_use use(insert_event);
      insert_event.bind(1, to_sql(first_position + i));
      insert_event.bind(2, stream_key);
      insert_event.bind(3, to_sql(first_version + i));
      insert_event.bind(4, e.type);
      insert_event.bind_blob(5, e.id.bytes().data(), e.id.bytes().size());
      insert_event.bind(6, timestamp);
      insert_event.bind(7, static_cast<std::int64_t>(e.encoding));
      if (metadata[i].empty()) {
        insert_event.bind_null(8);
      } else {
        insert_event.bind(8, metadata[i]);
      }
      // JSON is stored as TEXT so SQLite's JSON functions can query it; other encodings as BLOB.
      if (e.encoding == payload_encoding::json) {
        insert_event.bind(9, e.payload);
      } else {
        insert_event.bind_blob(9, e.payload.data(), e.payload.size());
      }
      insert_event.bind(10, static_cast<std::int64_t>(e.type_version));
      if (e.tags.empty()) {
        insert_event.bind_null(11);
      } else {
        std::string tags = sqlite::stored_tags(e.tags);
        insert_event.bind_blob(11, tags.data(), tags.size());
      }
      insert_event.step();
      for (const auto& tag : e.tags) add_event_tag(tag, first_position + i);
    }
    statement_use use(update_stream);
    update_stream.bind(1, stream_key);
    update_stream.bind(2, to_sql(first_version + events.size() - 1));
    update_stream.step();
  }

  // Indexes `tag` at `position`, interning it first.
  void add_event_tag(const std::string& tag, std::uint64_t position) {
    // Most tags are known: look first, and write the tags table only for a new one.
    std::int64_t key = 0;
    {
      statement_use use(find_tag);
      find_tag.bind(1, std::string_view(tag));
      if (find_tag.step()) key = find_tag.column_int(0);
    }
    if (key == 0) {
      statement_use use(intern_tag);
      intern_tag.bind(1, std::string_view(tag));
      intern_tag.step();
      key = sqlite3_last_insert_rowid(db.handle());
    }
    statement_use use(insert_event_tag);
    insert_event_tag.bind(1, key);
    insert_event_tag.bind(2, to_sql(position));
    insert_event_tag.step();
  }

  connection db;
  statement find_event;
  statement find_stream;
  statement insert_stream;
  statement update_stream;
  statement head;
  statement last_link;
  statement insert_link;
  statement insert_event;
  statement intern_tag;
  statement find_tag;
  statement insert_event_tag;
};

class sqlite_store::reader_pool {
 public:
  struct reader {
    explicit reader(connection c)
        : db(std::move(c)),
          stream_forward(db.prepare(fmt::format(
              "SELECT {} FROM events e WHERE e.stream_key = (SELECT stream_key FROM streams "
              "WHERE stream_id = ?1) AND e.stream_version >= ?2 ORDER BY e.stream_version LIMIT ?3",
              event_columns))),
          stream_backward(db.prepare(fmt::format(
              "SELECT {} FROM events e WHERE e.stream_key = (SELECT stream_key FROM streams "
              "WHERE stream_id = ?1) AND e.stream_version <= ?2 ORDER BY e.stream_version DESC "
              "LIMIT ?3",
              event_columns))),
          all(db.prepare(fmt::format(
              "SELECT {}, s.stream_id FROM events e JOIN streams s ON s.stream_key = e.stream_key "
              "WHERE e.position >= ?1 ORDER BY e.position LIMIT ?2",
              event_columns))),
          version(db.prepare("SELECT version FROM streams WHERE stream_id = ?1")),
          head(db.prepare("SELECT coalesce(max(position), 0) FROM events")) {}

    connection db;
    statement stream_forward;
    statement stream_backward;
    statement all;
    statement version;
    statement head;
  };

  reader_pool(std::string path, store_options options)
      : pool_([path = std::move(path), options] {
          connection c(path, SQLITE_OPEN_READONLY);
          configure(c, options);
          return std::make_unique<reader>(std::move(c));
        }) {}

  detail::object_pool<reader>::lease acquire() { return pool_.acquire(); }
  void clear() noexcept { pool_.clear(); }

 private:
  detail::object_pool<reader> pool_;
};

sqlite_store::sqlite_store(std::string path, const store_options& options,
                           detail::store_hooks hooks)
    : path_(std::move(path)), options_(options), hooks_(std::move(hooks)) {
  set_max_payload_size(options_.max_payload_size);
  set_stores_tags();
  connection db(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  {
    statement mode = db.prepare("PRAGMA journal_mode = WAL");
    if (!mode.step() || mode.column_text(0) != "wal") {
      throw io_error(0, path_, "cannot switch the database to WAL mode");
    }
  }
  // FULL: a commit is on disk when append() returns, also in WAL mode.
  db.exec("PRAGMA synchronous = FULL");
  configure(db, options_);
  sqlite::open_schema(db);
  writer_ = std::make_unique<writer>(std::move(db));
  readers_ = std::make_unique<reader_pool>(path_, options_);
  snapshots_ = std::make_unique<sqlite_snapshot_store>(path_);
  keys_ = std::make_unique<sqlite::sqlite_key_store>(path_);
  set_poll_interval(options_.poll_interval);
  publish_head(do_head_position());
}

sqlite_store::~sqlite_store() { close(); }

// Takes the writer in turn, telling the hooks when the turn is fixed and when it came.
std::unique_lock<detail::fifo_mutex> sqlite_store::take_writer() {
  writer_mutex_.lock([this] {
    if (hooks_.on_queued) hooks_.on_queued();
  });
  std::unique_lock lock(writer_mutex_, std::adopt_lock);
  if (hooks_.before_group) hooks_.before_group(1);
  return lock;
}

append_result sqlite_store::do_append(std::string_view stream_id, expected_version expected,
                                      std::span<const event_data> events) {
  return append_batch(stream_id, expected, events, nullptr);
}

append_result sqlite_store::do_append_conditional(std::string_view stream_id,
                                                  expected_version expected,
                                                  std::span<const event_data> events,
                                                  const append_condition& condition) {
  return append_batch(stream_id, expected, events, &condition);
}

append_result sqlite_store::append_batch(std::string_view stream_id, expected_version expected,
                                         std::span<const event_data> events,
                                         const append_condition* condition) {
  // Encode before taking the lock: it can fail on bad input and needs no database.
  std::vector<std::string> metadata = detail::encode_all_metadata(events);
  std::vector<detail::sha256_digest> contents = detail::content_digests(events, metadata);
  auto lock = take_writer();
  writer& w = *writer_;
  // IMMEDIATE: the one writer of the database, across processes, until the commit; so the
  // condition's check sees every event committed before this append and none can slip in after.
  transaction tx(w.db, transaction::mode::immediate);
  auto [stream_key, current, tombstoned] = w.stream_of(stream_id);
  std::uint64_t head = w.head_position();
  auto lookup = [&w](const uuid& id) { return w.where_is(id); };
  auto decision =
      condition == nullptr
          ? detail::decide_append(stream_id, expected, events, current, tombstoned, lookup)
          : detail::decide_conditional_append(
                stream_id, expected, events, current, tombstoned, lookup, *condition, head,
                [&](const query& q, std::uint64_t after) -> std::optional<std::uint64_t> {
                  auto first = sqlite::matching_positions(w.db, q, after, head, 1);
                  if (first.empty()) return std::nullopt;
                  return first.front();
                });
  detail::enforce(decision, stream_id, expected, events, condition ? condition->after : 0);
  if (decision.outcome == detail::append_decision::verdict::retry) return decision.stored;
  if (stream_key == 0) stream_key = w.add_stream(stream_id);
  std::int64_t timestamp = now_microseconds();
  w.insert_events(events, metadata, stream_key, head + 1, current + 1, timestamp);
  w.add_link(head + events.size(), detail::append_link(w.previous_link(), stream_id, head + 1,
                                                       current + 1, timestamp, events, contents));
  tx.commit();
  std::uint64_t last = head + events.size();
  publish_head(last);
  return append_result{head + 1, last, current + events.size(), true};
}

append_result sqlite_store::do_append_recorded(std::span<const recorded_event> events) {
  std::vector<std::string> metadata = detail::encode_all_metadata(events);
  const recorded_event& first = events.front();
  auto lock = take_writer();
  writer& w = *writer_;
  transaction tx(w.db, transaction::mode::immediate);
  std::uint64_t head = w.head_position();
  auto [stream_key, current, tombstoned] = w.stream_of(first.stream_id);
  auto decision = detail::decide_recorded_append(events, head, current, tombstoned,
                                                 [&w](const uuid& id) { return w.where_is(id); });
  detail::enforce(decision, events);
  if (stream_key == 0) stream_key = w.add_stream(first.stream_id);
  auto timestamp =
      std::chrono::duration_cast<std::chrono::microseconds>(first.timestamp.time_since_epoch())
          .count();
  w.insert_events(events, metadata, stream_key, first.position, first.stream_version, timestamp);
  w.add_link(events.back().position, detail::stored_link(w.previous_link(), events));
  tx.commit();
  std::uint64_t last = head + events.size();
  publish_head(last);
  return append_result{first.position, last, current + events.size(), true};
}

std::vector<recorded_event> sqlite_store::do_read_stream(std::string_view stream_id,
                                                         std::uint64_t from_version,
                                                         read_direction direction,
                                                         std::size_t max_count) {
  auto r = readers_->acquire();
  statement& s = direction == read_direction::forward ? r->stream_forward : r->stream_backward;
  statement_use use(s);
  s.bind(1, stream_id);
  s.bind(2, to_sql(from_version));
  s.bind(3, to_sql_limit(max_count));
  std::vector<recorded_event> events;
  while (s.step()) events.push_back(read_event_row(s, std::string(stream_id), path_));
  return events;
}

log_slice sqlite_store::do_read_all(std::uint64_t from_position, std::size_t max_count,
                                    const read_filter& filter) {
  auto r = readers_->acquire();
  // One read transaction, so the head agrees with the rows read.
  transaction tx(r->db, transaction::mode::deferred);
  std::uint64_t head;
  {
    statement_use use(r->head);
    r->head.step();
    head = static_cast<std::uint64_t>(r->head.column_int(0));
  }
  log_slice slice;
  std::uint64_t scan_end = detail::scan_end(from_position, head, !filter.empty());
  if (from_position <= head) {
    // Bounded by the page size and the events left, so a reserve never exceeds what is read.
    slice.events.reserve(std::min<std::uint64_t>({max_count, head - from_position + 1, 65536}));
  }
  auto collect = [&](statement& s) {
    while (s.step())
      slice.events.push_back(read_event_row(s, s.column_text(stream_id_column), path_));
  };
  if (filter.empty()) {
    statement_use use(r->all);
    r->all.bind(1, to_sql(from_position));
    r->all.bind(2, to_sql_limit(max_count));
    collect(r->all);
  } else {
    std::string sql = fmt::format(
        "SELECT {}, s.stream_id FROM events e JOIN streams s ON s.stream_key = e.stream_key "
        "WHERE e.position >= ?1 AND e.position < ?2",
        event_columns);
    int next_parameter = 4;
    if (!filter.event_types.empty()) {
      sql += " AND e.type IN (";
      for (std::size_t i = 0; i < filter.event_types.size(); ++i) {
        sql += fmt::format("{}?{}", i == 0 ? "" : ", ", next_parameter++);
      }
      sql += ")";
    }
    int prefix_parameter = next_parameter;
    if (!filter.stream_prefix.empty()) {
      sql += fmt::format(" AND substr(s.stream_id, 1, length(?{0})) = ?{0}", prefix_parameter);
    }
    sql += " ORDER BY e.position LIMIT ?3";
    statement s = r->db.prepare(sql);
    s.bind(1, to_sql(from_position));
    s.bind(2, to_sql(scan_end));
    s.bind(3, to_sql_limit(max_count));
    for (std::size_t i = 0; i < filter.event_types.size(); ++i) {
      s.bind(4 + static_cast<int>(i), filter.event_types[i]);
    }
    if (!filter.stream_prefix.empty()) s.bind(prefix_parameter, filter.stream_prefix);
    collect(s);
  }
  tx.commit();
  detail::finish_slice(slice, from_position, max_count, scan_end, head);
  publish_head(head);
  return slice;
}

std::uint64_t sqlite_store::do_stream_version(std::string_view stream_id) {
  auto r = readers_->acquire();
  statement_use use(r->version);
  r->version.bind(1, stream_id);
  return r->version.step() ? static_cast<std::uint64_t>(r->version.column_int(0)) : 0;
}

std::uint64_t sqlite_store::do_head_position() {
  auto r = readers_->acquire();
  statement_use use(r->head);
  r->head.step();
  return static_cast<std::uint64_t>(r->head.column_int(0));
}

std::vector<stream_summary> sqlite_store::do_list_streams(std::string_view prefix,
                                                          std::string_view after,
                                                          std::size_t max_count) {
  auto r = readers_->acquire();
  // Stream ids are TEXT compared with BINARY collation: bytewise, as the contract says.
  statement s = r->db.prepare(
      "SELECT stream_id, version FROM streams WHERE version > 0 AND stream_id > ?1 "
      "AND substr(stream_id, 1, length(?2)) = ?2 ORDER BY stream_id LIMIT ?3");
  // A default string_view has no data pointer, which SQLite would bind as NULL.
  s.bind(1, after.empty() ? std::string_view("") : after);
  s.bind(2, prefix.empty() ? std::string_view("") : prefix);
  s.bind(3, to_sql_limit(max_count));
  std::vector<stream_summary> streams;
  while (s.step()) {
    streams.push_back({s.column_text(0), static_cast<std::uint64_t>(s.column_int(1))});
  }
  return streams;
}

store_description sqlite_store::do_describe() {
  auto r = readers_->acquire();
  store_description d;
  d.backend = "sqlite";
  d.format_version = static_cast<std::uint32_t>(
      r->db.query_int("SELECT value FROM annal_meta WHERE key = 'schema_version'"));
  d.stream_count =
      static_cast<std::uint64_t>(r->db.query_int("SELECT count(*) FROM streams WHERE version > 0"));
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ignored;
    auto size = std::filesystem::file_size(path_ + suffix, ignored);
    if (!ignored) d.bytes_on_disk += size;
  }
  return d;
}

void sqlite_store::do_close() {
  std::lock_guard lock(writer_mutex_);
  readers_->clear();
  snapshots_.reset();
  keys_.reset();
  writer_.reset();
}

snapshot_store& sqlite_store::do_snapshots() { return *snapshots_; }

detail::key_store* sqlite_store::do_keys() { return keys_.get(); }

std::vector<detail::stored_batch_link> sqlite_store::read_batch_links(std::uint64_t from_position,
                                                                      std::size_t max_count) {
  auto r = readers_->acquire();
  transaction tx(r->db, transaction::mode::deferred);
  statement before = r->db.prepare(
      "SELECT coalesce(max(last_position), 0) FROM batch_links WHERE last_position < ?1");
  before.bind(1, to_sql(from_position));
  before.step();
  auto previous_last = static_cast<std::uint64_t>(before.column_int(0));
  statement rows = r->db.prepare(
      "SELECT last_position, link FROM batch_links WHERE last_position >= ?1 "
      "ORDER BY last_position LIMIT ?2");
  rows.bind(1, to_sql(from_position));
  rows.bind(2, to_sql_limit(max_count));
  std::vector<detail::stored_batch_link> links;
  while (rows.step()) {
    detail::stored_batch_link link;
    link.first_position = previous_last + 1;
    link.last_position = static_cast<std::uint64_t>(rows.column_int(0));
    link.link = detail::link_from_bytes(rows.column_text(1), path_, link.last_position);
    link.file = path_;
    previous_last = link.last_position;
    links.push_back(std::move(link));
  }
  return links;
}

uuid sqlite_store::do_store_id() {
  auto r = readers_->acquire();
  return sqlite::read_store_id(r->db);
}

void sqlite_store::do_adopt_store_id(const uuid& id) {
  auto lock = take_writer();
  writer& w = *writer_;
  transaction tx(w.db, transaction::mode::immediate);
  detail::check_identity_change(w.head_position());
  sqlite::write_store_id(w.db, id);
  tx.commit();
}

query_page sqlite_store::do_read_events(const query& q, std::uint64_t after,
                                        std::size_t max_count) {
  auto r = readers_->acquire();
  // One read transaction: the head and the events agree.
  transaction tx(r->db, transaction::mode::deferred);
  query_page page;
  {
    statement_use use(r->head);
    r->head.step();
    page.read_up_to = static_cast<std::uint64_t>(r->head.column_int(0));
  }
  auto positions = sqlite::matching_positions(r->db, q, after, page.read_up_to, max_count);
  statement at = r->db.prepare(fmt::format(
      "SELECT {}, s.stream_id FROM events e JOIN streams s ON s.stream_key = e.stream_key "
      "WHERE e.position = ?1",
      event_columns));
  page.events.reserve(positions.size());
  for (std::uint64_t position : positions) {
    statement_use use(at);
    at.bind(1, to_sql(position));
    if (!at.step()) {
      throw corruption(
          path_, -1,
          fmt::format("the tag index names position {}, which holds no event", position));
    }
    page.events.push_back(read_event_row(at, at.column_text(stream_id_column), path_));
  }
  tx.commit();
  return page;
}

std::size_t sqlite_store::do_erase_events(std::span<const event_erasure> erasures) {
  auto lock = take_writer();
  writer& w = *writer_;
  transaction tx(w.db, transaction::mode::immediate);
  // An erased event keeps no tags (they may name the person): its column and its index rows go.
  statement erase = w.db.prepare(fmt::format(
      "UPDATE events SET type = '{}', type_version = 1, encoding = {}, metadata = NULL, "
      "payload = ?2, tags = NULL WHERE position = ?1",
      detail::erased_event_type, static_cast<int>(payload_encoding::json)));
  statement tags_of = w.db.prepare("SELECT tags FROM events WHERE position = ?1");
  statement unindex = w.db.prepare(
      "DELETE FROM event_tags WHERE tag_key = (SELECT tag_key FROM tags WHERE tag = ?1) AND "
      "position = ?2");
  // A tag no event carries any more is forgotten too: its text may be the personal data.
  statement forget_tag = w.db.prepare(
      "DELETE FROM tags WHERE tag = ?1 AND NOT EXISTS (SELECT 1 FROM event_tags et WHERE "
      "et.tag_key = tags.tag_key)");
  for (const auto& e : erasures) {
    {
      statement_use use(tags_of);
      tags_of.bind(1, to_sql(e.position));
      if (tags_of.step() && !tags_of.column_is_null(0)) {
        for (const auto& tag : sqlite::split_stored_tags(tags_of.column_text(0))) {
          {
            statement_use unindex_use(unindex);
            unindex.bind(1, std::string_view(tag));
            unindex.bind(2, to_sql(e.position));
            unindex.step();
          }
          statement_use forget_use(forget_tag);
          forget_tag.bind(1, std::string_view(tag));
          forget_tag.step();
        }
      }
    }
    statement_use use(erase);
    erase.bind(1, to_sql(e.position));
    erase.bind(2, std::string_view(e.payload));
    erase.step();
  }
  tx.commit();
  return erasures.size();
}

}  // namespace annal
