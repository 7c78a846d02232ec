// The PostgreSQL writer: the group transaction, its fast and slow paths, recorded batches.
#include "postgres/append_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "annal/error.hpp"
#include "core/append_decision.hpp"
#include "core/batch_chain.hpp"
#include "core/sql_integer.hpp"
#include "core/store_identity.hpp"
#include "core/stream_lifecycle.hpp"
#include "postgres/connection.hpp"
#include "postgres/event_query.hpp"
#include "postgres/event_rows.hpp"
#include "postgres/schema.hpp"

namespace annal::pg {
namespace {

using detail::to_sql;

std::string_view id_bytes(const uuid& id) {
  return {reinterpret_cast<const char*>(id.bytes().data()), id.bytes().size()};
}

std::string int8_bytes(std::uint64_t v) {
  std::string out;
  put_be(out, v, 8);
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

// Thrown inside an append transaction when a statement of one append's condition check failed
// on the server (a query PostgreSQL cannot run, e.g. a type that is not UTF-8; a statement
// timeout): the server has aborted the transaction, so the group's other appends cannot be
// decided in it. The attempt fails as a whole, with `error`, and each append is tried alone.
struct transaction_aborted {
  std::exception_ptr error;
};

// The links of a group's batches: (last position, link), in position order.
using batch_links = std::vector<std::pair<std::uint64_t, detail::sha256_digest>>;

std::string_view as_text(const detail::sha256_digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

// Where each event id of a group is: stored, or placed earlier in the same group. Keyed by the
// id's 16 bytes.
using place_map = std::unordered_map<std::string, detail::event_place>;

// The tags of a group's events, as the event_tags table takes them: one (tag, position) a row.
struct tag_rows {
  std::vector<std::string_view> tags;
  std::vector<std::string> positions;

  void add(const std::vector<std::string>& event_tags, std::uint64_t position) {
    for (const auto& tag : event_tags) {
      tags.push_back(tag);
      positions.push_back(int8_bytes(position));
    }
  }
};

// The append rule's view of `places`.
auto lookup_in(const place_map& places) {
  return [&places](const uuid& id) -> std::optional<detail::event_place> {
    auto it = places.find(std::string(id_bytes(id)));
    if (it == places.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

struct append_writer::impl {
  impl(std::string conninfo, const std::string& schema, std::chrono::milliseconds stuck_timeout,
       const detail::store_hooks& hooks)
      : conninfo_(std::move(conninfo)),
        hooks_(hooks),
        events_table_(table(schema, "events")),
        event_tags_table_(table(schema, "event_tags")),
        stuck_timeout_(stuck_timeout),
        lock_head_(fmt::format("SELECT position, link FROM {} FOR UPDATE", table(schema, "head"))),
        find_ids_(fmt::format(
            "SELECT event_id, position, stream_id, stream_version FROM {} WHERE event_id = ANY($1)",
            table(schema, "events"))),
        // Each stream's version, and whether its last event is a tombstone.
        find_streams_(fmt::format(
            "SELECT s.stream_id, s.version, coalesce(e.type = '{}', false) FROM {} s LEFT JOIN {} "
            "e ON e.stream_id = s.stream_id AND e.stream_version = s.version "
            "WHERE s.stream_id = ANY($1)",
            detail::tombstone_event_type, table(schema, "streams"), table(schema, "events"))),
        copy_(fmt::format("COPY {} ({}) FROM STDIN (FORMAT binary)", table(schema, "events"),
                          event_columns)),
        // One statement moves the streams and the head on and announces the new head, which
        // listeners receive when (and only if) the transaction commits.
        finish_(fmt::format(
            "WITH s AS (INSERT INTO {0} (stream_id, version) SELECT * FROM unnest($1::text[], "
            "$2::int8[]) ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version), "
            "h AS (UPDATE {1} SET position = $3, link = $6), "
            "l AS (INSERT INTO {2} (last_position, link) SELECT * FROM unnest($7::int8[], "
            "$8::bytea[])), t AS (INSERT INTO {3} (tag, position) SELECT * FROM "
            "unnest($9::text[], $10::int8[])) SELECT pg_notify($4, $5)",
            table(schema, "streams"), table(schema, "head"), table(schema, "batch_links"),
            table(schema, "event_tags"))),
        channel_(notify_channel(schema)) {}

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

  // In a transaction holding the head row's lock, as appends do, so an erasure and an append
  // never interleave. An erased event keeps no tags (they may name the person).
  void erase_events(std::span<const event_erasure> erasures) {
    std::lock_guard lock(mutex_);
    try {
      connection& c = db();
      begin(c);
      std::vector<std::string> positions;
      std::vector<std::string_view> payloads;
      for (const auto& e : erasures) {
        positions.push_back(int8_bytes(e.position));
        payloads.push_back(e.payload);
      }
      std::string position_array = binary_array(int8_oid, positions);
      std::string payload_array = binary_array(text_oid, payloads);
      // By key, from the tags the events still hold: the (tag, position) primary key serves it.
      c.query(fmt::format("DELETE FROM {} t USING (SELECT position, unnest(tags) AS tag FROM {} "
                          "WHERE position = ANY($1::int8[])) d WHERE t.tag = d.tag AND "
                          "t.position = d.position",
                          event_tags_table_, events_table_)
                  .c_str(),
              {param(position_array)});
      c.query(fmt::format("UPDATE {} e SET type = '{}', type_version = 1, metadata = NULL, "
                          "payload = u.payload::json, payload_bytes = NULL, tags = NULL "
                          "FROM unnest($1::int8[], $2::text[]) AS u(position, payload) "
                          "WHERE e.position = u.position",
                          events_table_, detail::erased_event_type)
                  .c_str(),
              {param(position_array), param(payload_array)});
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
    } catch (const transaction_aborted& aborted) {
      recover();
      return aborted.error;
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
  // here for the one before it to commit, so positions are assigned in commit order. Sets
  // `link` to the chain's last link.
  std::uint64_t begin(connection& c, detail::sha256_digest& link) {
    c.exec("BEGIN");
    result r = c.query_prepared(lock_head_statement);
    auto head = static_cast<std::uint64_t>(r.int8(0, 0));
    link = r.is_null(0, 1) ? detail::chain_start
                           : detail::link_from_bytes(r.bytes(0, 1), c.name(), head);
    return head;
  }
  std::uint64_t begin(connection& c) {
    detail::sha256_digest unused;
    return begin(c, unused);
  }

  template <class Ids>
  place_map stored_places(connection& c, const Ids& ids) {
    place_map places;
    std::string array = binary_array(uuid_oid, ids);
    result r = c.query_prepared(find_ids_statement, {array});
    for (int i = 0; i < r.rows(); ++i) {
      places.emplace(
          std::string(r.bytes(i, 0)),
          detail::event_place{std::string(r.bytes(i, 2)), static_cast<std::uint64_t>(r.int8(i, 3)),
                              static_cast<std::uint64_t>(r.int8(i, 1))});
    }
    return places;
  }

  struct stream_head {
    std::uint64_t version = 0;
    bool tombstoned = false;
  };

  template <class Streams>
  std::map<std::string, stream_head, std::less<>> stream_heads(connection& c,
                                                               const Streams& streams) {
    std::map<std::string, stream_head, std::less<>> heads;
    std::string array = binary_array(text_oid, streams);
    result r = c.query_prepared(find_streams_statement, {array});
    for (int i = 0; i < r.rows(); ++i) {
      heads.emplace(std::string(r.bytes(i, 0)),
                    stream_head{static_cast<std::uint64_t>(r.int8(i, 1)),
                                r.bytes(i, 2) == std::string_view("\1", 1)});
    }
    return heads;
  }

  // Writes the rows, the streams' new versions and the head, then commits.
  void finish(connection& c, copy_buffer& rows,
              const std::map<std::string, std::uint64_t, std::less<>>& touched, std::uint64_t head,
              const batch_links& links, const tag_rows& tags, bool ids_looked_up) {
    std::string_view first_stream = touched.begin()->first;
    if (auto e = c.try_copy_in(copy_.c_str(), rows.finish())) {
      if (!ids_looked_up && e->sqlstate == sqlstate::unique_violation &&
          e->message.find("events_event_id") != std::string::npos) {
        throw needs_id_lookup{};
      }
      throw_error(*e, "PostgreSQL at " + c.name());
    }
    std::vector<std::string_view> ids;
    std::vector<std::string> versions;
    for (const auto& [id, version] : touched) {
      ids.push_back(id);
      versions.push_back(int8_bytes(version));
    }
    std::string id_array = binary_array(text_oid, ids);
    std::string version_array = binary_array(int8_oid, versions);
    std::string head_text = std::to_string(head);
    std::vector<std::string> last_positions;
    std::vector<std::string_view> link_bytes;
    for (const auto& [last, link] : links) {
      last_positions.push_back(int8_bytes(last));
      link_bytes.push_back(as_text(link));
    }
    std::string last_array = binary_array(int8_oid, last_positions);
    std::string link_array = binary_array(bytea_oid, link_bytes);
    std::string tag_array = binary_array(text_oid, tags.tags);
    std::string tag_position_array = binary_array(int8_oid, tags.positions);
    c.query_prepared(finish_statement, {id_array, version_array, param::int8(to_sql(head)),
                                        channel_, head_text, as_text(links.back().second),
                                        last_array, link_array, tag_array, tag_position_array});
    if (hooks_.before_commit) hooks_.before_commit(first_stream);
    c.exec("COMMIT");
  }

  // The first position after `after` (below `committed`) of a committed event that `q` matches,
  // for core's first_condition_match(): a statement issued under the head row's lock sees every
  // committed event, and none can commit before this transaction does.
  std::optional<std::uint64_t> committed_match(connection& c, const query& q, std::uint64_t after,
                                               std::uint64_t committed) {
    auto select =
        matching_positions(q, events_table_, event_tags_table_, std::to_string(committed));
    if (!select) return std::nullopt;
    std::vector<param> params{param::int8(1), param::int8(to_sql(after))};
    for (const auto& text : select->texts) params.emplace_back(text);
    std::optional<result> r;
    try {
      r.emplace(c.query(select->sql.c_str(), params.data(), static_cast<int>(params.size())));
    } catch (const annal::error&) {
      throw transaction_aborted{std::current_exception()};
    }
    if (r->rows() == 0) return std::nullopt;
    return static_cast<std::uint64_t>(r->int8(0, 0));
  }

  // Runs the group in one transaction. The fast path (`look_up_ids` false) does not look up the
  // batches' event ids first: the unique constraint on event_id refuses a stored one, and any
  // outcome but a write (where a retry of a stored batch must win over a wrong expected
  // version or a condition) sends the group to the slow path, which looks them up.
  void run(std::span<pending_append* const> group, bool look_up_ids) {
    connection& c = db();
    detail::sha256_digest link;
    std::uint64_t head = begin(c, link);
    const std::uint64_t committed = head;
    std::vector<detail::accepted_batch> accepted;
    tag_rows tags;
    batch_links links;
    std::vector<std::string_view> ids;
    std::vector<std::string_view> streams;
    for (const pending_append* p : group) {
      streams.push_back(p->stream_id);
      for (const auto& e : p->events) ids.push_back(id_bytes(e.id));
    }
    auto places = look_up_ids ? stored_places(c, ids) : place_map{};
    auto heads = stream_heads(c, streams);
    std::map<std::string, std::uint64_t, std::less<>> touched;
    copy_buffer rows;
    std::int64_t now = to_timestamptz(std::chrono::system_clock::now());
    // Decided in order, as if each append ran alone after the ones before it.
    std::vector<std::pair<append_result, std::exception_ptr>> outcomes;
    for (const pending_append* p : group) {
      auto decide = [&]() -> append_result {
        auto found = heads.find(p->stream_id);
        stream_head stream = found == heads.end() ? stream_head{} : found->second;
        std::uint64_t current = stream.version;
        auto decision = p->condition == nullptr
                            ? detail::decide_append(p->stream_id, p->expected, p->events, current,
                                                    stream.tombstoned, lookup_in(places))
                            : detail::decide_conditional_append(
                                  p->stream_id, p->expected, p->events, current, stream.tombstoned,
                                  lookup_in(places), *p->condition, head,
                                  [&](const query& q, std::uint64_t after) {
                                    return detail::first_condition_match(
                                        q, after, committed, 1,
                                        [&](const query& cq, std::uint64_t from) {
                                          return committed_match(c, cq, from, committed);
                                        },
                                        accepted);
                                  });
        detail::enforce(decision, p->stream_id, p->expected, p->events,
                        p->condition ? p->condition->after : 0);
        if (decision.outcome == detail::append_decision::verdict::retry) return decision.stored;
        link = detail::append_link(link, p->stream_id, head + 1, current + 1,
                                   now + postgres_epoch_us, p->events, p->contents);
        links.emplace_back(head + p->events.size(), link);
        accepted.push_back({p->stream_id, head + 1, p->events});
        for (std::size_t i = 0; i < p->events.size(); ++i) {
          const event_data& e = p->events[i];
          rows.add(head + 1 + i, p->stream_id, current + 1 + i, e.type, e.id, now, p->metadata[i],
                   e.encoding, e.payload, e.type_version, e.tags);
          tags.add(e.tags, head + 1 + i);
          places.emplace(
              std::string(id_bytes(e.id)),
              detail::event_place{std::string(p->stream_id), current + 1 + i, head + 1 + i});
        }
        append_result r{head + 1, head + p->events.size(), current + p->events.size(), true};
        head = r.last_position;
        heads.insert_or_assign(
            std::string(p->stream_id),
            stream_head{r.next_expected_version, detail::ends_in_tombstone(p->events)});
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
      finish(c, rows, touched, head, links, tags, look_up_ids);
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
    detail::sha256_digest link;
    std::uint64_t head = begin(c, link);
    std::vector<std::string_view> ids;
    for (const auto& e : events) ids.push_back(id_bytes(e.id));
    auto places = stored_places(c, ids);
    std::string_view stream(first.stream_id);
    auto heads = stream_heads(c, std::span<const std::string_view>(&stream, 1));
    stream_head found = heads.empty() ? stream_head{} : heads.begin()->second;
    std::uint64_t current = found.version;
    auto decision =
        detail::decide_recorded_append(events, head, current, found.tombstoned, lookup_in(places));
    detail::enforce(decision, events);
    copy_buffer rows;
    tag_rows tags;
    std::int64_t timestamp = to_timestamptz(first.timestamp);
    for (std::size_t i = 0; i < events.size(); ++i) {
      const recorded_event& e = events[i];
      rows.add(e.position, e.stream_id, e.stream_version, e.type, e.id, timestamp, metadata[i],
               e.encoding, e.payload, e.type_version, e.tags);
      tags.add(e.tags, e.position);
    }
    std::uint64_t last = head + events.size();
    std::map<std::string, std::uint64_t, std::less<>> touched{
        {first.stream_id, current + events.size()}};
    batch_links links{{last, detail::stored_link(link, events)}};
    finish(c, rows, touched, last, links, tags, true);
    return append_result{first.position, last, current + events.size(), true};
  }

  std::string conninfo_;
  const detail::store_hooks& hooks_;
  std::string events_table_;
  std::string event_tags_table_;
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

append_writer::append_writer(std::string conninfo, const std::string& schema,
                             std::chrono::milliseconds stuck_timeout,
                             const detail::store_hooks& hooks)
    : impl_(std::make_unique<impl>(std::move(conninfo), schema, stuck_timeout, hooks)) {}

append_writer::~append_writer() = default;

void append_writer::commit(std::span<pending_append* const> group) { impl_->commit(group); }

append_result append_writer::commit_recorded(std::span<const recorded_event> events,
                                             const std::vector<std::string>& metadata) {
  return impl_->commit_recorded(events, metadata);
}

void append_writer::adopt_store_id(const uuid& id, const std::string& identity_table) {
  impl_->adopt_store_id(id, identity_table);
}

void append_writer::erase_events(std::span<const event_erasure> erasures) {
  impl_->erase_events(erasures);
}

void append_writer::close() { impl_->close(); }

}  // namespace annal::pg
