// The embedded SQLite backend: one append-only table in one database file.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "annal/event_store.hpp"
#include "annal/open_store.hpp"
#include "core/chain_check.hpp"
#include "core/fifo_mutex.hpp"
#include "core/store_hooks.hpp"
#include "sqlite/connection.hpp"
#include "sqlite/sqlite_key_store.hpp"
#include "sqlite/sqlite_snapshot_store.hpp"

namespace annal {

/// An event store in a SQLite database file (WAL mode, synchronous=FULL). Writes are
/// serialised, first come first served, by one writer connection behind a mutex; SQLite's own lock
/// serialises writers of other processes. Reads use a pool of connections and run in parallel with
/// the writer. Snapshots and subjects' keys go to tables of the same file through connections of
/// their own. The schema is documented in docs/storage-format.md.
class sqlite_store final : public event_store, public detail::chain_source {
 public:
  /// Opens or creates the store in `path`. Throws as open_store() documents.
  sqlite_store(std::string path, const store_options& options, detail::store_hooks hooks = {});
  ~sqlite_store() override;

  /// The batch_links table's rows (the hash chain, docs/integrity.md), from one read
  /// transaction.
  std::vector<detail::stored_batch_link> read_batch_links(std::uint64_t from_position,
                                                          std::size_t max_count) override;

 protected:
  append_result do_append(std::string_view stream_id, expected_version expected,
                          std::span<const event_data> events) override;
  append_result do_append_conditional(std::string_view stream_id, expected_version expected,
                                      std::span<const event_data> events,
                                      const append_condition& condition) override;
  query_page do_read_events(const query& q, std::uint64_t after, std::size_t max_count) override;
  std::vector<recorded_event> do_read_stream(std::string_view stream_id, std::uint64_t from_version,
                                             read_direction direction,
                                             std::size_t max_count) override;
  log_slice do_read_all(std::uint64_t from_position, std::size_t max_count,
                        const read_filter& filter) override;
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
  struct writer;
  class reader_pool;

  /// do_append() and do_append_conditional(): one transaction under the writer lock.
  append_result append_batch(std::string_view stream_id, expected_version expected,
                             std::span<const event_data> events, const append_condition* condition);

  std::unique_lock<detail::fifo_mutex> take_writer();

  std::string path_;
  store_options options_;
  detail::store_hooks hooks_;
  // First come, first served: appends commit in the order they asked to.
  detail::fifo_mutex writer_mutex_;
  std::unique_ptr<writer> writer_;
  std::unique_ptr<reader_pool> readers_;
  std::unique_ptr<sqlite_snapshot_store> snapshots_;
  std::unique_ptr<sqlite::sqlite_key_store> keys_;
};

}  // namespace annal
