// The PostgreSQL backend: the log in tables on a server that several processes share.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "annal/event_store.hpp"
#include "annal/open_store.hpp"
#include "core/chain_check.hpp"
#include "core/store_hooks.hpp"
#include "postgres/connection.hpp"

namespace annal {

namespace pg {
class append_writer;
class head_listener;
class snapshot_table;
class key_table;
struct pending_append;
}  // namespace pg

/// An event store in a PostgreSQL schema (docs/postgres.md).
///
/// Every append takes the lock of the one-row `head` table inside its transaction and holds it
/// to the commit, so positions are assigned in commit order and a reader never sees position N
/// before every position below it: the log is gapless and gap-safe for subscribers. Appends of
/// one store object are grouped: while one transaction commits, the appends that arrive queue
/// up and the next transaction commits them all (one WAL flush). Each append of a group keeps its
/// own outcome (written, retry, wrong version, duplicate id). Reads use a pool of connections.
/// A LISTEN connection wakes wait_for() at once on appends by any process; when it drops,
/// wait_for() polls at the store's poll interval while it reconnects.
class postgres_store final : public event_store, public detail::chain_source {
 public:
  /// Connects to `conninfo` (a libpq URI) and opens or creates the store in `options`'
  /// postgres_schema. Throws as open_store() documents.
  /// `hooks` are test seams (detail::store_hooks); production stores have none.
  postgres_store(std::string conninfo, const store_options& options,
                 detail::store_hooks hooks = {});
  ~postgres_store() override;

  /// The batch_links table's rows (the hash chain, docs/integrity.md), from one snapshot.
  std::vector<detail::stored_batch_link> read_batch_links(std::uint64_t from_position,
                                                          std::size_t max_count) override;

 protected:
  append_result do_append(std::string_view stream_id, expected_version expected,
                          std::span<const event_data> events) override;
  std::vector<recorded_event> do_read_stream(std::string_view stream_id, std::uint64_t from_version,
                                             read_direction direction,
                                             std::size_t max_count) override;
  log_slice do_read_all(std::uint64_t from_position, std::size_t max_count,
                        const read_filter& filter) override;
  append_result do_append_conditional(std::string_view stream_id, expected_version expected,
                                      std::span<const event_data> events,
                                      const append_condition& condition) override;
  query_page do_read_events(const query& q, std::uint64_t after, std::size_t max_count) override;
  std::uint64_t do_stream_version(std::string_view stream_id) override;
  std::uint64_t do_head_position() override;
  append_result do_append_recorded(std::span<const recorded_event> events) override;
  std::vector<stream_summary> do_list_streams(std::string_view prefix, std::string_view after,
                                              std::size_t max_count) override;
  store_description do_describe() override;
  void do_close() override;
  snapshot_store& do_snapshots() override;
  detail::key_store* do_keys() override;
  uuid do_store_id() override;
  void do_adopt_store_id(const uuid& id) override;
  std::size_t do_erase_events(std::span<const event_erasure> erasures) override;

 private:
  class connection_pool;

  append_result append_batch(std::string_view stream_id, expected_version expected,
                             std::span<const event_data> events, const append_condition* condition);
  void lead(std::unique_lock<std::mutex>& queue_lock);
  log_slice read_page(pg::connection& c, std::uint64_t from_position, std::size_t max_count,
                      const read_filter& filter);

  std::string conninfo_;
  store_options options_;
  detail::store_hooks hooks_;
  std::unique_ptr<connection_pool> readers_;
  std::unique_ptr<pg::append_writer> writer_;
  std::mutex queue_mutex_;
  std::condition_variable queue_changed_;
  std::deque<pg::pending_append*> queue_;
  bool leader_active_ = false;
  std::unique_ptr<pg::snapshot_table> snapshots_;
  std::unique_ptr<pg::key_table> keys_;
  std::unique_ptr<pg::head_listener> listener_;
};

}  // namespace annal
