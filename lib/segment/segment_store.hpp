// The native segment backend: an append-only log of CRC-framed batches in segment files.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "annal/event_store.hpp"
#include "annal/open_store.hpp"
#include "core/append_decision.hpp"
#include "core/chain_check.hpp"
#include "core/function_ref.hpp"
#include "core/store_hooks.hpp"
#include "io/file_system.hpp"
#include "segment/batch_frame.hpp"
#include "segment/byte_io.hpp"
#include "segment/id_table.hpp"
#include "segment/link_hasher.hpp"
#include "segment/manifest.hpp"
#include "segment/segment_index_file.hpp"
#include "segment/segment_key_store.hpp"
#include "segment/segment_snapshot_store.hpp"
#include "segment/tag_index_file.hpp"
#include "segment/tag_postings.hpp"

namespace annal {

/// An event store in a directory of segment files (format in docs/storage-format.md).
///
/// One writer at a time appends, with group commit: concurrent append() calls queue their
/// batches, and the caller at the front of the queue becomes the writer for everything queued:
/// one write per segment touched, one fdatasync, then it acknowledges them all and hands the
/// front to the next caller. An append with no competition therefore costs no thread switch.
/// Readers use positioned reads of the files and see only acknowledged batches, whole. The
/// directory is locked: one store object at a time.
///
/// With durability sync_each_batch, a thread of the store's own hashes each group's links of
/// the hash chain while the writer writes and syncs the group (segment::link_hasher); during a
/// burst of appends it polls for the next group instead of sleeping.
///
/// A failed write or sync puts the store into a failed state: later appends throw
/// annal::io_error until the store is reopened, which recovers from the files.
///
/// Snapshots are files in DIR/snapshots/ (see segment_snapshot_store); a failed snapshot write
/// does not affect appends.
///
/// With a retention policy (store_options::segment_retention_age, segment_retention_bytes), a
/// thread of the store's own moves the oldest sealed segments out of the directory, to the
/// archive directory or to deletion (docs/lifecycle.md, "Retention"), after each segment roll,
/// at open and every minute. Appends never wait for it.
class segment_store final : public event_store, public detail::chain_source {
 public:
  /// Opens or creates the store in `dir`, recovering from a crash as docs/storage-format.md
  /// describes. Throws annal::corruption for damage before the log's tail (unless
  /// options.repair_by_truncation) and for an existing directory that holds other files but no
  /// segment file, annal::unsupported_format_version for newer files, and annal::io_error
  /// when the directory is locked by another store or cannot be used.
  segment_store(std::string dir, const store_options& options, std::shared_ptr<io::file_system> fs,
                detail::store_hooks hooks = {});
  ~segment_store() override;

  /// The links in the log's linked batch frames (the hash chain, docs/integrity.md), and the
  /// batches of older segments without one.
  std::vector<detail::stored_batch_link> read_batch_links(std::uint64_t from_position,
                                                          std::size_t max_count) override;

 protected:
  append_result do_append(std::string_view stream_id, expected_version expected,
                          std::span<const event_data> events) override;
  std::vector<recorded_event> do_read_stream(std::string_view stream_id, std::uint64_t from_version,
                                             read_direction direction,
                                             std::size_t max_count) override;
  append_result do_append_conditional(std::string_view stream_id, expected_version expected,
                                      std::span<const event_data> events,
                                      const append_condition& condition) override;
  query_page do_read_events(const query& q, std::uint64_t after, std::size_t max_count) override;
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
  struct segment_file;
  struct stream_batch;
  struct batch_place;
  struct stream_info;
  struct pending_append;
  struct group_plan;
  struct read_part;
  // The batch that held the last stored id looked up, so a retry's ids cost one frame read.
  struct place_cache {
    std::string stream_id;
    std::uint64_t first_version = 0;
    std::uint64_t first_position = 0;
    std::uint64_t count = 0;
  };

  // The segments a read from `from_position` goes through, with the head it may read to; moves
  // `from_position` to the log's start when retention deleted what was before it.
  std::vector<read_part> parts_from(std::uint64_t& from_position, std::uint64_t& head);
  // Calls `visit` with each batch of the log that ends at or after `from_position`, until it
  // returns false or the head is passed. Sets `head` to the head the scan reads up to and moves
  // `from_position` as parts_from() does, both before the first call of `visit`. Throws
  // annal::corruption for a damaged frame.
  void scan_batches(
      std::uint64_t& from_position, std::uint64_t& head,
      detail::function_ref<bool(const segment::batch_view&, const segment_file&)> visit);
  // The link of the log's last batch, computed from the last stored link and the events after
  // it (for a log an annal before links wrote, over the whole log); sets unstored_links_ to the
  // computed links that the next append's first frame is to store.
  detail::sha256_digest link_at_open();
  void refuse_foreign_directory();
  void recover();
  std::optional<segment::manifest> read_manifest_for_recovery();
  void create_segment(std::uint64_t base);
  void upgrade_active_segment();
  bool load_segment(const std::string& dir, std::uint64_t base, bool last, std::uint64_t& next,
                    segment::segment_index& records);
  // Adds a batch to its stream's batches and to batch_places_; `timestamp_us` is 0 when unknown
  // (an index file does not hold it), until the query index's build fills it in.
  void index_batch(std::uint32_t segment_number, const segment::batch_record& batch,
                   std::int64_t timestamp_us = 0);
  // Syncs the active segment and writes its index file, and unless `closing` its tag index (or
  // removes a stale one when the query index is not built).
  void seal_active(bool closing = false);
  append_result enqueue(pending_append& p);
  void commit_group(std::vector<pending_append*>& group);
  void plan_append(pending_append& p, group_plan& plan);
  std::optional<detail::event_place> committed_place(const uuid& id, place_cache& cache);
  // The first position after `after` (below `committed`) of a committed event that `q` matches,
  // found through the query index and checked as read, for core's first_condition_match().
  std::optional<std::uint64_t> committed_match(const query& q, std::uint64_t after,
                                               std::uint64_t committed);
  // Builds the tag index on first use (a scan of the log, holding writer_gate_) unless built.
  void ensure_postings();
  // ensure_postings() for a caller that holds writer_gate_.
  void build_postings_locked();
  // The positions in (after, up_to] of events the index says match `q`, ascending, at most
  // `limit`; from the log's start. Takes the index lock.
  std::vector<std::uint64_t> query_positions(const query& q, std::uint64_t after,
                                             std::uint64_t up_to, std::size_t limit);
  // The events at `positions` (ascending, published), read through batch_places_.
  std::vector<recorded_event> events_at(std::span<const std::uint64_t> positions);
  void write_plan(group_plan& plan);
  void publish_plan(group_plan& plan);
  std::vector<recorded_event> read_stream_unlocked(std::string_view stream_id,
                                                   std::uint64_t from_version,
                                                   read_direction direction, std::size_t max_count);
  void rewrite_segment(std::size_t number, const segment_file& old,
                       std::span<const event_erasure> erasures);
  void write_manifest_locked();
  // Removes the sidecars (index and tag index) of the segment at `base` in `dir`, if any.
  void remove_sidecars(const std::string& dir, std::uint64_t base);
  // The tag index of a segment for the query index's build: the sidecar of a sealed segment when
  // it describes the segment's bytes and its batches (which start at `batch_starts`), otherwise
  // built from its frames (and written beside a sealed segment of the store's directory).
  segment::segment_tag_index tag_index_of(const segment_file& segment, bool sealed,
                                          std::span<const std::uint64_t> batch_starts);
  void retention_loop();
  bool retire_oldest_segment();
  void archive_segment(std::size_t number, const segment_file& old);
  void delete_segment(std::size_t number, const segment_file& old);
  void warn(const std::string& message) const;

  std::string dir_;
  store_options options_;
  std::shared_ptr<io::file_system> fs_;
  detail::store_hooks hooks_;
  std::unique_ptr<io::file_lock> lock_;

  // The index of what is committed. Readers hold it shared; the writer holds it exclusively only
  // to publish a committed group.
  mutable std::shared_mutex index_mutex_;
  std::vector<std::shared_ptr<segment_file>> segments_;
  std::unordered_map<std::string, stream_info> streams_;
  segment::id_table ids_;
  // Every batch of the log from its start, in log order.
  std::deque<batch_place> batch_places_;
  // The tag and type index (docs/dcb.md), built from the log by the first query or conditional
  // append, then kept by the writer; guarded by index_mutex_.
  segment::tag_postings postings_;
  std::atomic<bool> postings_ready_{false};
  // The active segment's part of the query index, for its tag index sidecar at the seal; the
  // writer's alone, kept once postings_ready_.
  segment::segment_tag_index active_tags_;
  // Held by the writer for each group and by the tag index's build, so that no group publishes
  // while the build scans the log.
  std::mutex writer_gate_;
  std::atomic<std::uint64_t> head_{0};
  // The first position of the log; moves only when retention deletes a segment.
  std::atomic<std::uint64_t> log_start_{1};
  // What the active segment's index file will hold; the writer's alone.
  segment::segment_index active_index_;
  std::uint64_t active_written_ = 0;   // bytes written to the active segment, published or not
  segment::byte_buffer spare_buffer_;  // the last group's write buffer, reused: no page faults
  detail::sha256_digest last_link_{};  // the link of the last batch written; the writer's alone
  // The links of the last batches written, which no frame stores yet: the next group's first
  // frame carries them. The writer's alone.
  std::vector<detail::sha256_digest> unstored_links_;
  // The first position whose link no frame stores: the first batch of the log's last commit
  // group, whose frame holds the link before it. Retention keeps its segment.
  std::atomic<std::uint64_t> first_unlinked_{1};
  // Computes a durable group's links while the writer writes and syncs it; made at open. The
  // writer's alone.
  std::unique_ptr<segment::link_hasher> hasher_;

  std::mutex queue_mutex_;
  std::condition_variable group_done_;
  // Appends waiting, in arrival order; the front one is the writer of the next group.
  std::deque<pending_append*> queue_;
  std::string failure_;  // non-empty once a write or sync failed
  // The store's identity, newest segment and log start, and its file: changed by the writer (at
  // a roll), by retention and by do_adopt_store_id(), each holding manifest_mutex_.
  std::mutex manifest_mutex_;
  segment::manifest manifest_;

  std::unique_ptr<segment_snapshot_store> snapshots_;
  std::unique_ptr<segment::key_file_store> keys_;

  // Held by a scavenge's erasures and by retention: one of them changes a sealed segment at a
  // time.
  std::mutex scavenge_mutex_;

  // Retention's thread, woken at each roll and stopped by close.
  std::mutex retention_mutex_;
  std::condition_variable retention_wake_;
  bool retention_due_ = true;
  bool retention_stop_ = false;
  std::thread retention_thread_;
};

}  // namespace annal
