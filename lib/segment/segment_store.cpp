// The segment backend: opening, the calls that only read the in-memory index, and closing.
#include "segment/segment_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "annal/error.hpp"
#include "annal/store_admin.hpp"
#include "core/store_identity.hpp"
#include "segment/segment_store_parts.hpp"
#include "segment/snapshot_format.hpp"

namespace annal {

segment_store::segment_store(std::string dir, const store_options& options,
                             std::shared_ptr<io::file_system> fs, detail::store_hooks hooks)
    : dir_(std::move(dir)), options_(options), fs_(std::move(fs)), hooks_(std::move(hooks)) {
  if (options_.segment_size < seg::segment_header_size + 64) {
    throw invalid_argument(
        fmt::format("segment_size must be at least {} bytes", seg::segment_header_size + 64));
  }
  if (!options_.segment_archive_dir.empty()) {
    namespace fs = std::filesystem;
    std::error_code unknown;
    auto normal = [](const std::string& p) {
      return (fs::path(p) / "").lexically_normal().string();
    };
    if (normal(options_.segment_archive_dir) == normal(dir_) ||
        fs::equivalent(options_.segment_archive_dir, dir_, unknown)) {
      throw invalid_argument("archive_dir must be another directory than the store's");
    }
  }
  set_max_payload_size(options_.max_payload_size);
  // A scavenge rewrites each sealed segment it touches: once for the erasures of many streams.
  set_erasures_per_call(100'000);
  set_stores_tags();
  if (fs_->exists(dir_)) refuse_foreign_directory();
  fs_->create_dir(dir_);
  lock_ = fs_->lock(dir_ + "/" + std::string(seg::lock_file_name));
  recover();
  last_link_ = link_at_open();
  if (options_.durability == durability_mode::sync_each_batch) {
    hasher_ = std::make_unique<seg::link_hasher>();
  }
  snapshots_ = std::make_unique<segment_snapshot_store>(
      dir_ + "/" + std::string(seg::snapshot_dir_name), fs_, options_.on_warning);
  keys_ = std::make_unique<segment::key_file_store>(dir_ + "/" + std::string(segment::key_dir_name),
                                                    fs_);
  set_poll_interval(options_.poll_interval);
  publish_head(head_.load());
  // Last: nothing after it may throw, or the thread would outlive a store never constructed.
  if (options_.segment_retention_age.count() > 0 || options_.segment_retention_bytes > 0) {
    retention_thread_ = std::thread([this] { retention_loop(); });
  }
}

segment_store::~segment_store() { close(); }

void segment_store::warn(const std::string& message) const {
  if (options_.on_warning) {
    options_.on_warning(message);
  } else {
    std::fprintf(stderr, "annal: warning: %s\n", message.c_str());
  }
}

std::uint64_t segment_store::do_stream_version(std::string_view stream_id) {
  std::shared_lock lock(index_mutex_);
  auto found = streams_.find(std::string(stream_id));
  return found == streams_.end() ? 0 : found->second.version;
}

std::uint64_t segment_store::do_head_position() { return head_.load(); }

std::vector<stream_summary> segment_store::do_list_streams(std::string_view prefix,
                                                           std::string_view after,
                                                           std::size_t max_count) {
  std::vector<stream_summary> streams;
  {
    std::shared_lock lock(index_mutex_);
    for (const auto& [id, info] : streams_) {
      if (info.version > 0 && id.starts_with(prefix) && std::string_view(id) > after) {
        streams.push_back({id, info.version});
      }
    }
  }
  auto by_id = [](const stream_summary& a, const stream_summary& b) {
    return a.stream_id < b.stream_id;
  };
  if (streams.size() > max_count) {
    auto end = streams.begin() + static_cast<std::ptrdiff_t>(max_count);
    std::partial_sort(streams.begin(), end, streams.end(), by_id);
    streams.erase(end, streams.end());
  } else {
    std::sort(streams.begin(), streams.end(), by_id);
  }
  return streams;
}

store_description segment_store::do_describe() {
  store_description d;
  d.backend = "segment";
  d.format_version = seg::format_version;
  std::shared_lock lock(index_mutex_);
  d.stream_count = streams_.size();
  d.first_position = log_start_.load();
  for (const auto& s : segments_) {
    if (s->file == nullptr) continue;
    ++d.segment_count;
    if (s->archived) ++d.archived_segment_count;
  }
  for (const auto& name : fs_->list(dir_)) {
    try {
      d.bytes_on_disk += fs_->open(dir_ + "/" + name, io::open_mode::read_only)->size();
    } catch (const io_error& e) {
      // Removed since the listing: by retention, a scavenge, or a temporary file renamed.
      if (e.system_code() != ENOENT) throw;
    }
  }
  return d;
}

void segment_store::do_close() {
  if (retention_thread_.joinable()) {
    {
      std::lock_guard lock(retention_mutex_);
      retention_stop_ = true;
    }
    retention_wake_.notify_one();
    retention_thread_.join();
  }
  // No append is running: close() waits for calls in progress before calling this.
  bool failed;
  {
    std::lock_guard lock(queue_mutex_);
    failed = !failure_.empty();
  }
  if (!failed && !segments_.empty()) {
    try {
      // The index of the active segment lets the next open skip scanning it.
      seal_active(true);
    } catch (const error& e) {
      warn(std::string("could not write the active segment's index at close: ") + e.what());
    }
  }
  snapshots_.reset();
  keys_.reset();
  std::unique_lock lock(index_mutex_);
  segments_.clear();
  streams_.clear();
  batch_places_.clear();
  postings_ = {};
  ids_.clear();
  lock_.reset();
}

snapshot_store& segment_store::do_snapshots() { return *snapshots_; }

detail::key_store* segment_store::do_keys() { return keys_.get(); }

uuid segment_store::do_store_id() {
  std::lock_guard lock(manifest_mutex_);
  return manifest_.store_id;
}

void segment_store::do_adopt_store_id(const uuid& id) {
  // With the queue's lock held and the queue empty, no append is being written or can start.
  std::lock_guard lock(queue_mutex_);
  if (!queue_.empty()) {
    throw invalid_argument(
        "a store takes another store's identity only while it is empty; "
        "appends to this one are in progress");
  }
  detail::check_identity_change(head_.load());
  std::lock_guard manifest_lock(manifest_mutex_);
  seg::manifest changed = manifest_;
  changed.store_id = id;
  seg::write_manifest(*fs_, dir_, changed);
  manifest_ = changed;
}

}  // namespace annal
