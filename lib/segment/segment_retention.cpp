// The segment backend's retention: the oldest sealed segments leave the store's directory, to the
// archive directory or deleted, on a thread of the store's own.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "annal/error.hpp"
#include "io/replace_file.hpp"
#include "segment/frame_scanner.hpp"
#include "segment/segment_store_parts.hpp"

namespace annal {
namespace {

// The timestamp of the segment's last batch: its newest event (batches are appended in time
// order, recorded copies aside). Scans from the last sparse entry, a few KiB.
std::int64_t newest_timestamp_us(const io::file& file, std::uint64_t base, std::uint64_t size,
                                 const std::vector<seg::sparse_entry>& sparse,
                                 const std::string& path) {
  std::uint64_t offset = sparse.empty() ? seg::segment_header_size : sparse.back().offset;
  std::uint64_t position = sparse.empty() ? base : sparse.back().position;
  seg::frame_scanner scanner(file, offset, size, position);
  std::int64_t newest = 0;
  for (;;) {
    auto f = scanner.next();
    if (f.status == seg::scan_status::end) return newest;
    if (f.status != seg::scan_status::frame) {
      throw corruption(path, static_cast<std::int64_t>(f.offset), f.reason);
    }
    newest = f.batch->timestamp_us();
  }
}

std::string read_whole(const io::file& file) {
  std::string bytes(file.size(), '\0');
  if (file.read_at(0, {reinterpret_cast<std::byte*>(bytes.data()), bytes.size()}) != bytes.size()) {
    throw io_error(EIO, file.path(), "the file ended while retention copied it");
  }
  return bytes;
}

}  // namespace

void segment_store::retention_loop() {
  std::unique_lock lock(retention_mutex_);
  for (;;) {
    // Every minute too: a segment grows old without a roll.
    retention_wake_.wait_for(lock, std::chrono::minutes(1),
                             [&] { return retention_due_ || retention_stop_; });
    if (retention_stop_) return;
    retention_due_ = false;
    lock.unlock();
    try {
      while (retire_oldest_segment()) {
        std::lock_guard stopping(retention_mutex_);
        if (retention_stop_) break;
      }
    } catch (const std::exception& e) {
      // The store goes on; the next roll or the minute's wake-up tries again.
      warn(std::string("retention stopped until the next segment roll: ") + e.what());
    }
    if (hooks_.after_retention) hooks_.after_retention();
    lock.lock();
  }
}

// Moves the oldest sealed segment still in the store's directory out of it when the policy says
// so; false when nothing is due.
bool segment_store::retire_oldest_segment() {
  std::lock_guard changing(scavenge_mutex_);
  std::shared_ptr<segment_file> oldest;
  std::size_t number = 0;
  std::uint64_t local_bytes = 0;
  {
    std::shared_lock lock(index_mutex_);
    for (std::size_t n = 0; n < segments_.size(); ++n) {
      const auto& s = segments_[n];
      if (s->file == nullptr || s->archived) continue;
      local_bytes += s->size;
      // Sealed and all its events published: the writer never touches it again.
      bool sealed = n + 1 < segments_.size() && s->next_position == segments_[n + 1]->base;
      if (!oldest && sealed) {
        oldest = s;
        number = n;
      }
    }
  }
  if (!oldest) return false;
  // The first frame of the log's last commit group stores the link the rest of the log continues
  // from at the next open (storage-format.md, "Frame"): its segment stays until a later group
  // commits.
  if (oldest->next_position > first_unlinked_.load()) return false;
  if (options_.segment_archive_dir.empty()) {
    // A segment is deleted only when every stream in it goes on in a later segment: each stream
    // keeps its latest event in the log, and with it its version, tombstone and, for a metadata
    // stream, its current settings, also across a reopen.
    std::shared_lock lock(index_mutex_);
    for (const auto& [id, stream] : streams_) {
      if (!stream.batches.empty() && stream.batches.back().segment_number == number) return false;
    }
  }
  bool over_size =
      options_.segment_retention_bytes > 0 && local_bytes > options_.segment_retention_bytes;
  bool too_old = false;
  if (!over_size && options_.segment_retention_age.count() > 0) {
    auto newest =
        std::chrono::system_clock::time_point(std::chrono::microseconds(newest_timestamp_us(
            *oldest->file, oldest->base, oldest->size, oldest->sparse, oldest->path)));
    too_old = newest < std::chrono::system_clock::now() - options_.segment_retention_age;
  }
  if (!over_size && !too_old) return false;
  if (options_.segment_archive_dir.empty()) {
    delete_segment(number, *oldest);
  } else {
    archive_segment(number, *oldest);
  }
  return true;
}

// Copies the segment and its index to the archive directory (each synced and renamed into
// place), reads it there from then on, and removes it here. A crash before the removal leaves
// both copies, and the next open reads this one; the archive's is written again next time.
void segment_store::archive_segment(std::size_t number, const segment_file& old) {
  const std::string& archive = options_.segment_archive_dir;
  std::string name = seg::segment_file_name(old.base);
  std::string index_name = seg::index_file_name(old.base);
  std::string index_path = old.dir + "/" + index_name;
  std::string segment_bytes = read_whole(*old.file);
  std::string index_bytes;
  if (fs_->exists(index_path)) {
    index_bytes = read_whole(*fs_->open(index_path, io::open_mode::read_only));
  }
  io::replace_file(*fs_, archive + "/" + name, archive + "/" + name + ".tmp", segment_bytes);
  if (!index_bytes.empty()) {
    io::replace_file(*fs_, archive + "/" + index_name, archive + "/" + index_name + ".tmp",
                     index_bytes);
  }
  fs_->sync_dir(archive);
  auto moved = std::make_shared<segment_file>(old);
  moved->dir = archive;
  moved->path = archive + "/" + name;
  moved->file = fs_->open(moved->path, io::open_mode::read_only);
  moved->archived = true;
  {
    std::unique_lock lock(index_mutex_);
    segments_[number] = std::move(moved);
  }
  remove_sidecars(old.dir, old.base);
  fs_->remove(old.path);
  fs_->sync_dir(old.dir);
}

// Moves the log's start past the segment in the manifest first, then forgets and removes it: a
// crash in between leaves a file before the log's start, which the next open removes.
void segment_store::delete_segment(std::size_t number, const segment_file& old) {
  {
    std::lock_guard lock(manifest_mutex_);
    manifest_.log_start = old.next_position;
    write_manifest_locked();
  }
  {
    std::unique_lock lock(index_mutex_);
    log_start_.store(old.next_position);
    for (auto& [id, stream] : streams_) {
      auto& batches = stream.batches;
      auto kept = std::find_if(batches.begin(), batches.end(),
                               [&](const stream_batch& b) { return b.segment_number != number; });
      batches.erase(batches.begin(), kept);
    }
    auto kept = std::find_if(batch_places_.begin(), batch_places_.end(),
                             [&](const batch_place& b) { return b.segment_number != number; });
    batch_places_.erase(batch_places_.begin(), kept);
    postings_.drop_before(old.next_position);
    auto gone = std::make_shared<segment_file>(old);
    gone->file.reset();
    gone->sparse.clear();
    segments_[number] = std::move(gone);
  }
  remove_sidecars(old.dir, old.base);
  fs_->remove(old.path);
  fs_->sync_dir(old.dir);
}

}  // namespace annal
