// The segment backend: recovery on open, the group-commit writer thread, and positioned reads.
#include "segment/segment_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "annal/error.hpp"
#include "core/append_decision.hpp"
#include "core/crc32c.hpp"
#include "core/metadata_json.hpp"
#include "core/read_window.hpp"
#include "core/store_identity.hpp"
#include "segment/batch_frame.hpp"
#include "segment/byte_io.hpp"
#include "segment/frame_scanner.hpp"
#include "segment/manifest.hpp"
#include "segment/segment_format.hpp"
#include "segment/segment_header.hpp"
#include "segment/snapshot_format.hpp"

namespace annal {

namespace seg = annal::segment;

struct segment_store::segment_file {
  std::uint64_t base = 0;
  std::string path;
  std::shared_ptr<io::file> file;
  /// Bytes readers may read: everything up to the end of the last published frame.
  std::uint64_t size = 0;
  /// The position after the segment's last published event.
  std::uint64_t next_position = 0;
  std::vector<seg::sparse_entry> sparse;
};

struct segment_store::stream_batch {
  std::uint64_t first_version;
  std::uint64_t first_position;
  std::uint32_t count;
  std::uint32_t segment_number;
  std::uint64_t offset;
};

struct segment_store::stream_info {
  std::uint64_t version = 0;
  std::vector<stream_batch> batches;
};

struct segment_store::pending_append {
  std::string_view stream_id;
  expected_version expected;
  std::span<const event_data> events;
  std::vector<std::string> metadata;  // encoded, one per event; empty when no event has any
  bool done = false;
  append_result result;
  std::exception_ptr error;
  // Set by append_recorded(): the batch as recorded (its positions, versions and timestamp);
  // empty for append().
  std::span<const recorded_event> recorded;
  std::int64_t timestamp_us = 0;
};

// What the writer decided for one group of queued appends, before anything is written.
struct segment_store::group_plan {
  struct chunk {
    bool new_segment = false;  // starts a new segment at `base`
    std::uint64_t base = 0;
    seg::byte_buffer bytes;
  };
  struct accepted {
    pending_append* append;
    std::size_t chunk;
    std::uint64_t offset;  // of the frame in its segment
    std::uint64_t first_position;
    std::uint64_t first_version;
    std::uint32_t segment_number = 0;
  };
  std::vector<chunk> chunks;
  std::vector<accepted> batches;
  // Retries of a batch accepted earlier in this group: they succeed only if the group commits.
  std::vector<pending_append*> group_retries;
  std::unordered_map<std::string, std::uint64_t> versions;
  // Where the ids of the group's accepted batches are: (index into `batches`, event index). Only
  // kept when the group has several appends.
  std::unordered_map<uuid, std::pair<std::size_t, std::uint32_t>> ids;
  bool track_ids = false;
  std::uint64_t next_position = 0;
  std::uint64_t segment_size = 0;
  std::int64_t timestamp_us = 0;
};

namespace {

std::int64_t now_microseconds() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void add_sparse(std::vector<seg::sparse_entry>& sparse, std::uint64_t position,
                std::uint64_t offset) {
  if (sparse.empty() || offset >= sparse.back().offset + seg::sparse_index_interval) {
    sparse.push_back({position, offset});
  }
}

recorded_event make_recorded(const seg::batch_view& batch, std::uint32_t index,
                             const seg::event_view& e, const std::string& path) {
  recorded_event r;
  r.position = batch.first_position() + index;
  r.stream_id = std::string(batch.stream_id());
  r.stream_version = batch.first_version() + index;
  r.type = std::string(e.type);
  r.id = e.id;
  r.timestamp =
      std::chrono::system_clock::time_point(std::chrono::microseconds(batch.timestamp_us()));
  r.metadata = detail::decode_metadata(e.metadata, path);
  r.payload = std::string(e.payload);
  r.encoding = e.encoding;
  return r;
}

// Reads and checks the frame at `offset`; `buffer` holds the body the view points into.
seg::batch_view read_frame_at(const io::file& file, const std::string& path, std::uint64_t offset,
                              std::string& buffer) {
  char head[seg::frame_header_size];
  if (file.read_at(offset, {reinterpret_cast<std::byte*>(head), sizeof head}) != sizeof head) {
    throw corruption(path, static_cast<std::int64_t>(offset), "indexed frame is past the end");
  }
  seg::byte_reader r({head, sizeof head});
  std::uint32_t crc = r.u32();
  std::uint32_t length = r.u32();
  std::uint8_t type = r.u8();
  if (type != seg::frame_type_batch || length > seg::max_frame_body) {
    throw corruption(path, static_cast<std::int64_t>(offset), "indexed frame has a bad header");
  }
  buffer.resize(length);
  if (file.read_at(offset + seg::frame_header_size,
                   {reinterpret_cast<std::byte*>(buffer.data()), length}) != length) {
    throw corruption(path, static_cast<std::int64_t>(offset), "indexed frame is truncated");
  }
  if (seg::frame_crc(length, type, buffer) != crc) {
    throw corruption(path, static_cast<std::int64_t>(offset), "frame checksum mismatch");
  }
  std::string reason;
  auto batch = seg::batch_view::parse(buffer, reason);
  if (!batch) throw corruption(path, static_cast<std::int64_t>(offset), reason);
  return *batch;
}

}  // namespace

segment_store::segment_store(std::string dir, const store_options& options,
                             std::shared_ptr<io::file_system> fs, detail::store_hooks hooks)
    : dir_(std::move(dir)), options_(options), fs_(std::move(fs)), hooks_(std::move(hooks)) {
  if (options_.segment_size < seg::segment_header_size + 64) {
    throw invalid_argument(
        fmt::format("segment_size must be at least {} bytes", seg::segment_header_size + 64));
  }
  set_max_payload_size(options_.max_payload_size);
  if (fs_->exists(dir_)) refuse_foreign_directory();
  fs_->create_dir(dir_);
  lock_ = fs_->lock(dir_ + "/" + std::string(seg::lock_file_name));
  recover();
  snapshots_ = std::make_unique<segment_snapshot_store>(
      dir_ + "/" + std::string(seg::snapshot_dir_name), fs_, options_.on_warning);
  set_poll_interval(options_.poll_interval);
  publish_head(head_.load());
}

segment_store::~segment_store() { close(); }

void segment_store::warn(const std::string& message) const {
  if (options_.on_warning) {
    options_.on_warning(message);
  } else {
    std::fprintf(stderr, "annal: warning: %s\n", message.c_str());
  }
}

// ---- Recovery -------------------------------------------------------------------------------

void segment_store::refuse_foreign_directory() {
  // Checked before the lock file is created, so a mistyped path gains no annal files. A
  // directory holding only the lock file is a store whose creation was cut short.
  bool has_segment = false;
  std::string foreign;
  for (const auto& name : fs_->list(dir_)) {
    if (seg::segment_base_of(name)) {
      has_segment = true;
    } else if (name != seg::lock_file_name && name != seg::manifest_file_name &&
               !name.ends_with(seg::index_suffix) && !name.ends_with(".tmp")) {
      foreign = name;
    }
  }
  if (!has_segment && !foreign.empty()) {
    throw corruption(dir_, -1,
                     fmt::format("the directory is not an annal segment store: it holds '{}' and "
                                 "no segment file",
                                 foreign));
  }
}

void segment_store::recover() {
  std::optional<seg::manifest> found;
  try {
    found = seg::read_manifest(*fs_, dir_);
  } catch (const corruption& e) {
    if (!options_.repair_by_truncation) {
      throw corruption(dir_ + "/" + std::string(seg::manifest_file_name), -1,
                       std::string(e.what()) +
                           "; open with repair_by_truncation to write a new one (with a new "
                           "store identity)");
    }
    warn(std::string("repair_by_truncation: ") + e.what() +
         "; writing a new manifest with a new store identity");
  }
  std::vector<std::uint64_t> bases;
  for (const auto& name : fs_->list(dir_)) {
    if (auto base = seg::segment_base_of(name)) {
      bases.push_back(*base);
    } else if (name.ends_with(".tmp")) {
      fs_->remove(dir_ + "/" + name);  // an index or manifest write interrupted by a crash
    }
  }
  std::sort(bases.begin(), bases.end());
  std::string manifest_path = dir_ + "/" + std::string(seg::manifest_file_name);
  if (bases.empty()) {
    if (found) {
      throw corruption(manifest_path, -1,
                       fmt::format("the manifest records segments up to base position {}, but "
                                   "no segment file is left",
                                   found->last_segment_base));
    }
    manifest_ = {detail::new_store_id(), 1};
    create_segment(1);
    return;
  }
  // Segments are created before the manifest names them, so it may lag behind the files by one
  // segment, never run ahead of them: a segment it names that is not there was lost.
  if (found && found->last_segment_base > bases.back()) {
    std::string message = fmt::format(
        "segment file {} is missing: the manifest records the log reaching base position {}, but "
        "the last segment file starts at {}",
        seg::segment_file_name(found->last_segment_base), found->last_segment_base,
        bases.back());
    if (!options_.repair_by_truncation) {
      throw corruption(manifest_path, -1,
                       message + "; open with repair_by_truncation to accept the log as it is");
    }
    warn("repair_by_truncation: " + message + "; the log ends where the files end");
  }
  if (!found && !fs_->exists(manifest_path)) {
    warn(fmt::format("'{}' has no manifest (written by an older annal); writing one with a new "
                     "store identity",
                     dir_));
  }
  manifest_ = found ? *found : seg::manifest{detail::new_store_id(), 0};
  std::uint64_t next = 1;
  for (std::size_t i = 0; i < bases.size(); ++i) {
    std::string path = dir_ + "/" + seg::segment_file_name(bases[i]);
    if (bases[i] != next) {
      throw corruption(path, 0,
                       fmt::format("segment starts at position {}, but the log before it ends "
                                   "at {}: a segment file is missing",
                                   bases[i], next - 1));
    }
    bool last = i + 1 == bases.size();
    seg::segment_index records;
    bool cut = load_segment(bases[i], last, next, records);
    if (cut && !last) {
      // Repair by truncation: everything after the damage goes, later segments included. The
      // manifest first, so that it never names a segment that is gone.
      manifest_.last_segment_base = bases[i];
      seg::write_manifest(*fs_, dir_, manifest_);
      for (std::size_t j = i + 1; j < bases.size(); ++j) {
        fs_->remove(dir_ + "/" + seg::segment_file_name(bases[j]));
        fs_->remove(dir_ + "/" + seg::index_file_name(bases[j]));
      }
      fs_->sync_dir(dir_);
      warn(fmt::format("removed {} segment(s) after the damage in '{}'", bases.size() - i - 1,
                       path));
      last = true;
    }
    if (last) {
      if (cut) fs_->remove(dir_ + "/" + seg::index_file_name(bases[i]));
      active_index_ = std::move(records);
      active_written_ = segments_.back()->size;
      break;
    }
  }
  if (!found || manifest_.last_segment_base != segments_.back()->base) {
    manifest_.last_segment_base = segments_.back()->base;
    seg::write_manifest(*fs_, dir_, manifest_);
  }
}

// Loads one segment into the index from its index file and a scan of what the index does not
// cover. Returns true when the segment was cut by repair_by_truncation.
bool segment_store::load_segment(std::uint64_t base, bool last, std::uint64_t& next,
                                 seg::segment_index& records) {
  std::string path = dir_ + "/" + seg::segment_file_name(base);
  auto file = fs_->open(path, last ? io::open_mode::read_write : io::open_mode::read_only);
  std::uint64_t size = file->size();
  bool cut = false;
  if (auto fault = seg::read_segment_header(*file, base)) {
    if (fault->what == seg::header_fault::kind::newer_version) {
      throw unsupported_format_version(path, fault->version, seg::format_version);
    }
    // A crash while the last segment was being created leaves an incomplete header: that
    // segment never held an acknowledged event.
    bool creation_cut_short = last && fault->what == seg::header_fault::kind::truncated;
    if (!creation_cut_short && !options_.repair_by_truncation) {
      throw corruption(path, fault->offset,
                       fault->reason + "; open with repair_by_truncation to cut the log there");
    }
    if (creation_cut_short) {
      warn(fmt::format("'{}' has an incomplete header ({} bytes); rewriting it", path, size));
    } else {
      warn(fmt::format("repair_by_truncation: '{}' has a damaged header ({}); the log is cut at "
                       "its start ({} bytes dropped)",
                       path, fault->reason, size));
      cut = true;
    }
    if (!last) file = fs_->open(path, io::open_mode::read_write);
    file->truncate(0);
    file->append(seg::as_bytes(seg::encode_segment_header(base)));
    file->sync();
    size = file->size();
  }

  auto segment = std::make_shared<segment_file>();
  segment->base = base;
  segment->path = path;
  segment->file = std::move(file);
  auto number = static_cast<std::uint32_t>(segments_.size());
  segments_.push_back(segment);

  std::string reason;
  auto index = seg::read_segment_index(*fs_, dir_, base, reason);
  if (index && (index->covered_size > size || (!last && index->covered_size != size) ||
                index->covered_size < seg::segment_header_size || index->next_position < base)) {
    reason = fmt::format("stale: covers {} bytes of {}", index->covered_size, size);
    index.reset();
  }
  bool rebuilt = !index;
  if (index) {
    records = std::move(*index);
  } else {
    if (reason != "missing" || !last) {
      warn(fmt::format("rebuilding the index of '{}' from the log ({})", path, reason));
    }
    records = seg::segment_index{base, seg::segment_header_size, base, {}, {}, {}};
  }
  for (const auto& b : records.batches) index_batch(number, b);
  for (const auto& [id, position] : records.ids) ids_.insert(id, position);
  segment->sparse = records.sparse;

  seg::frame_scanner scanner(*segment->file, records.covered_size, size, records.next_position);
  for (;;) {
    auto f = scanner.next();
    if (f.status == seg::scan_status::end) break;
    if (f.status == seg::scan_status::frame) {
      const auto& batch = *f.batch;
      seg::batch_record record{std::string(batch.stream_id()), batch.first_version(),
                               batch.first_position(), batch.count(), f.offset};
      index_batch(number, record);
      batch.for_each([&](std::uint32_t i, const seg::event_view& e) {
        ids_.insert(e.id, batch.first_position() + i);
        records.ids.emplace_back(e.id, batch.first_position() + i);
      });
      add_sparse(records.sparse, batch.first_position(), f.offset);
      records.batches.push_back(std::move(record));
      rebuilt = true;
      continue;
    }
    if (f.status == seg::scan_status::torn_tail && last) {
      warn(fmt::format("truncated a torn tail of {} bytes at offset {} of '{}': {}",
                       size - f.offset, f.offset, path, f.reason));
    } else if (options_.repair_by_truncation) {
      warn(fmt::format("repair_by_truncation: cut '{}' at offset {} ({} bytes dropped): {}", path,
                       f.offset, size - f.offset, f.reason));
      cut = true;
      if (!last) segment->file = fs_->open(path, io::open_mode::read_write);
    } else {
      throw corruption(
          path, static_cast<std::int64_t>(f.offset),
          f.reason + (f.status == seg::scan_status::torn_tail ? " (in a sealed segment)" : "") +
              "; open with repair_by_truncation to cut the log there");
    }
    segment->file->truncate(f.offset);
    segment->file->sync();
    break;
  }
  segment->size = scanner.offset();
  segment->next_position = scanner.next_position();
  segment->sparse = records.sparse;
  records.covered_size = segment->size;
  records.next_position = segment->next_position;
  head_.store(segment->next_position - 1);
  next = segment->next_position;
  if (!last && !cut && rebuilt) seg::write_segment_index(*fs_, dir_, records);
  return cut;
}

void segment_store::index_batch(std::uint32_t segment_number, const seg::batch_record& batch) {
  auto& stream = streams_[batch.stream_id];
  stream.batches.push_back(
      {batch.first_version, batch.first_position, batch.count, segment_number, batch.offset});
  stream.version = batch.first_version + batch.count - 1;
}

void segment_store::create_segment(std::uint64_t base) {
  std::string path = dir_ + "/" + seg::segment_file_name(base);
  fs_->remove(path);
  auto file = fs_->open(path, io::open_mode::read_write);
  file->append(seg::as_bytes(seg::encode_segment_header(base)));
  file->sync();
  fs_->sync_dir(dir_);
  auto segment = std::make_shared<segment_file>();
  segment->base = base;
  segment->path = path;
  segment->file = std::move(file);
  segment->size = seg::segment_header_size;
  segment->next_position = base;
  {
    std::unique_lock lock(index_mutex_);
    segments_.push_back(std::move(segment));
  }
  // Only once the segment is durable may the manifest name it.
  manifest_.last_segment_base = base;
  seg::write_manifest(*fs_, dir_, manifest_);
  active_index_ = seg::segment_index{base, seg::segment_header_size, base, {}, {}, {}};
  active_written_ = seg::segment_header_size;
}

void segment_store::seal_active() {
  auto& active = *segments_.back();
  active.file->sync();
  active_index_.covered_size = active_written_;
  seg::write_segment_index(*fs_, dir_, active_index_);
  active_index_.ids.clear();
  active_index_.ids.shrink_to_fit();
}

// ---- Writing --------------------------------------------------------------------------------

append_result segment_store::do_append(std::string_view stream_id, expected_version expected,
                                       std::span<const event_data> events) {
  pending_append p{stream_id, expected, events, {}, false, {}, nullptr, {}, 0};
  return enqueue(p);
}

append_result segment_store::do_append_recorded(std::span<const recorded_event> recorded) {
  std::vector<event_data> events;
  events.reserve(recorded.size());
  for (const auto& r : recorded) {
    events.push_back({r.id, r.type, r.payload, r.encoding, r.metadata});
  }
  const recorded_event& first = recorded.front();
  auto timestamp_us =
      std::chrono::duration_cast<std::chrono::microseconds>(first.timestamp.time_since_epoch());
  pending_append p{first.stream_id,
                   expected_version::exact(first.stream_version - 1),
                   events,
                   {},
                   false,
                   {},
                   nullptr,
                   recorded,
                   timestamp_us.count()};
  return enqueue(p);
}

append_result segment_store::enqueue(pending_append& p) {
  const auto& events = p.events;
  // Most batches carry no metadata: then the frame encoder needs no per-event strings.
  if (std::any_of(events.begin(), events.end(),
                  [](const event_data& e) { return !e.metadata.empty(); })) {
    p.metadata.reserve(events.size());
    for (const auto& e : events) p.metadata.push_back(detail::encode_metadata(e.metadata));
  }
  std::unique_lock lock(queue_mutex_);
  queue_.push_back(&p);
  if (hooks_.on_queued) hooks_.on_queued();
  group_done_.wait(lock, [&] { return p.done || queue_.front() == &p; });
  if (!p.done) {
    // At the front: write this append and everything queued behind it, as one group.
    std::vector<pending_append*> group(queue_.begin(), queue_.end());
    lock.unlock();
    commit_group(group);
    lock.lock();
    for (auto* member : group) {
      member->done = true;
      queue_.pop_front();
    }
    group_done_.notify_all();  // the group's members, and the next group's writer
  }
  lock.unlock();
  if (p.error) std::rethrow_exception(p.error);
  return p.result;
}

void segment_store::commit_group(std::vector<pending_append*>& group) {
  if (hooks_.before_group) hooks_.before_group(group.size());
  std::string failure;
  {
    std::lock_guard lock(queue_mutex_);
    failure = failure_;
  }
  if (!failure.empty()) {
    auto error = std::make_exception_ptr(
        io_error(EIO, dir_, "the store failed earlier and must be reopened: " + failure));
    for (auto* p : group) p->error = error;
    return;
  }
  group_plan plan;
  plan.next_position = head_.load() + 1;
  plan.segment_size = active_written_;
  plan.timestamp_us = now_microseconds();
  plan.track_ids = group.size() > 1;
  for (auto* p : group) {
    try {
      plan_append(*p, plan);
    } catch (...) {
      p->error = std::current_exception();
    }
  }
  if (plan.batches.empty()) return;
  try {
    write_plan(plan);
  } catch (const error& e) {
    {
      std::lock_guard lock(queue_mutex_);
      failure_ = e.what();
    }
    auto error = std::current_exception();
    for (auto& b : plan.batches) b.append->error = error;
    for (auto* retry : plan.group_retries) retry->error = error;
    return;
  }
  publish_plan(plan);
  if (plan.chunks.front().bytes.capacity() <= (std::uint64_t{16} << 20)) {
    spare_buffer_ = std::move(plan.chunks.front().bytes);
  }
}

// Where a stored event id is: the position from the id table, the stream and version from the
// batch holding that position (one frame read per batch, remembered in `cache`).
std::optional<detail::event_place> segment_store::committed_place(const uuid& id,
                                                                  place_cache& cache) {
  auto position = ids_.find(id);
  if (!position) return std::nullopt;
  if (*position < cache.first_position || *position >= cache.first_position + cache.count) {
    auto at = do_read_all(*position, 1, {}).events;
    if (at.empty()) throw corruption(dir_, -1, "an indexed event id has no event");
    const auto& batches = streams_.at(at[0].stream_id).batches;
    auto batch = std::partition_point(batches.begin(), batches.end(), [&](const stream_batch& b) {
      return b.first_version + b.count - 1 < at[0].stream_version;
    });
    cache = {at[0].stream_id, batch->first_version, batch->first_position, batch->count};
  }
  return detail::event_place{cache.stream_id,
                             cache.first_version + (*position - cache.first_position), *position};
}

// Decides one append of a group against the committed log plus the group's earlier appends,
// by the one append rule of core, and places its frame. Throws the append's error.
void segment_store::plan_append(pending_append& p, group_plan& plan) {
  const auto& events = p.events;
  std::string stream(p.stream_id);
  std::uint64_t current = 0;
  if (auto tentative = plan.versions.find(stream); tentative != plan.versions.end()) {
    current = tentative->second;
  } else if (auto committed = streams_.find(stream); committed != streams_.end()) {
    current = committed->second.version;
  }
  bool in_group = false;
  place_cache cache;
  auto lookup = [&](const uuid& id) -> std::optional<detail::event_place> {
    if (auto place = committed_place(id, cache)) return place;
    if (!plan.track_ids) return std::nullopt;
    auto found = plan.ids.find(id);
    if (found == plan.ids.end()) return std::nullopt;
    in_group = true;
    const auto& b = plan.batches[found->second.first];
    return detail::event_place{std::string(b.append->stream_id),
                               b.first_version + found->second.second,
                               b.first_position + found->second.second};
  };
  bool recorded = !p.recorded.empty();
  auto decision = recorded
                      ? detail::decide_recorded_append(p.recorded, plan.next_position - 1,
                                                       current, lookup)
                      : detail::decide_append(p.stream_id, p.expected, events, current, lookup);
  if (recorded) {
    detail::enforce(decision, p.recorded);
  } else {
    detail::enforce(decision, p.stream_id, p.expected, events);
  }
  if (decision.outcome == detail::append_decision::verdict::retry) {
    p.result = decision.stored;
    if (in_group) plan.group_retries.push_back(&p);
    return;
  }
  seg::frame_layout layout = seg::layout_batch_frame(p.stream_id, events, p.metadata);
  std::size_t frame_size = layout.size;
  if (frame_size - seg::frame_header_size > seg::max_frame_body) {
    throw invalid_argument(
        fmt::format("the batch encodes to {} bytes; the segment backend's "
                    "limit is {} bytes per batch",
                    frame_size, seg::max_frame_body));
  }
  bool has_frames = plan.segment_size > seg::segment_header_size;
  if (plan.chunks.empty() ||
      (has_frames && plan.segment_size + frame_size > options_.segment_size)) {
    group_plan::chunk chunk;
    chunk.new_segment = has_frames && plan.segment_size + frame_size > options_.segment_size;
    chunk.base = plan.next_position;
    if (chunk.new_segment) plan.segment_size = seg::segment_header_size;
    if (plan.chunks.empty()) {
      chunk.bytes = std::move(spare_buffer_);
      chunk.bytes.clear();
    }
    plan.chunks.push_back(std::move(chunk));
  }
  std::uint64_t offset = plan.segment_size;
  seg::encode_batch_frame(plan.chunks.back().bytes, layout, p.stream_id, plan.next_position,
                          current + 1, recorded ? p.timestamp_us : plan.timestamp_us, events,
                          p.metadata);
  plan.segment_size += frame_size;
  std::size_t index = plan.batches.size();
  plan.batches.push_back({&p, plan.chunks.size() - 1, offset, plan.next_position, current + 1});
  if (plan.track_ids) {
    for (std::uint32_t i = 0; i < events.size(); ++i) plan.ids[events[i].id] = {index, i};
  }
  plan.versions[stream] = current + events.size();
  plan.next_position += events.size();
}

void segment_store::write_plan(group_plan& plan) {
  for (std::size_t c = 0; c < plan.chunks.size(); ++c) {
    auto& chunk = plan.chunks[c];
    if (chunk.new_segment) {
      seal_active();
      create_segment(chunk.base);
    }
    auto& active = *segments_.back();
    active.file->append(seg::as_bytes(chunk.bytes.view()));
    active_written_ += chunk.bytes.size();
    for (auto& b : plan.batches) {
      if (b.chunk != c) continue;
      b.segment_number = static_cast<std::uint32_t>(segments_.size() - 1);
      const auto& events = b.append->events;
      active_index_.batches.push_back({std::string(b.append->stream_id), b.first_version,
                                       b.first_position, static_cast<std::uint32_t>(events.size()),
                                       b.offset});
      add_sparse(active_index_.sparse, b.first_position, b.offset);
      for (std::size_t i = 0; i < events.size(); ++i) {
        active_index_.ids.emplace_back(events[i].id, b.first_position + i);
      }
      active_index_.next_position = b.first_position + events.size();
    }
  }
  if (options_.durability == durability_mode::sync_each_batch) segments_.back()->file->sync();
}

void segment_store::publish_plan(group_plan& plan) {
  {
    std::unique_lock lock(index_mutex_);
    for (auto& b : plan.batches) {
      const auto& events = b.append->events;
      auto count = static_cast<std::uint32_t>(events.size());
      index_batch(b.segment_number, {std::string(b.append->stream_id), b.first_version,
                                     b.first_position, count, b.offset});
      for (std::size_t i = 0; i < events.size(); ++i)
        ids_.insert(events[i].id, b.first_position + i);
      auto& segment = *segments_[b.segment_number];
      add_sparse(segment.sparse, b.first_position, b.offset);
      segment.next_position = b.first_position + count;
      b.append->result = {b.first_position, b.first_position + count - 1,
                          b.first_version + count - 1, true};
    }
    // Frames are contiguous per segment, so each segment's readable size is its written size.
    for (std::size_t s = plan.batches.front().segment_number; s + 1 < segments_.size(); ++s) {
      segments_[s]->size = segments_[s]->file->size();
    }
    segments_.back()->size = active_written_;
    head_.store(plan.next_position - 1);
  }
  publish_head(plan.next_position - 1);
}

// ---- Reading --------------------------------------------------------------------------------

log_slice segment_store::do_read_all(std::uint64_t from_position, std::size_t max_count,
                                     const read_filter& filter) {
  struct part {
    std::shared_ptr<segment_file> segment;
    std::uint64_t offset;
    std::uint64_t position;
    std::uint64_t size;
  };
  std::vector<part> parts;
  std::uint64_t head;
  {
    std::shared_lock lock(index_mutex_);
    head = head_.load();
    if (from_position <= head) {
      auto it = std::upper_bound(segments_.begin(), segments_.end(), from_position,
                                 [](std::uint64_t p, const auto& s) { return p < s->base; });
      for (auto s = std::prev(it); s != segments_.end(); ++s) {
        const auto& segment = **s;
        std::uint64_t offset = seg::segment_header_size;
        std::uint64_t position = segment.base;
        if (s == std::prev(it)) {
          auto entry = std::upper_bound(
              segment.sparse.begin(), segment.sparse.end(), from_position,
              [](std::uint64_t p, const seg::sparse_entry& e) { return p < e.position; });
          if (entry != segment.sparse.begin()) {
            offset = std::prev(entry)->offset;
            position = std::prev(entry)->position;
          }
        }
        parts.push_back({*s, offset, position, segment.size});
      }
    }
  }
  std::uint64_t scan_end = detail::scan_end(from_position, head, !filter.empty());
  log_slice slice;
  if (!parts.empty()) {
    slice.events.reserve(std::min<std::uint64_t>({max_count, scan_end - from_position, 65536}));
  }
  bool done = parts.empty();
  for (const auto& part : parts) {
    if (done) break;
    seg::frame_scanner scanner(*part.segment->file, part.offset, part.size, part.position);
    for (;;) {
      auto f = scanner.next();
      if (f.status == seg::scan_status::end) break;
      if (f.status != seg::scan_status::frame) {
        throw corruption(part.segment->path, static_cast<std::int64_t>(f.offset), f.reason);
      }
      const auto& batch = *f.batch;
      if (batch.first_position() >= scan_end) {
        done = true;
        break;
      }
      if (batch.last_position() < from_position) continue;
      if (!filter.stream_prefix.empty() && !batch.stream_id().starts_with(filter.stream_prefix)) {
        continue;
      }
      batch.for_each([&](std::uint32_t i, const seg::event_view& e) {
        std::uint64_t position = batch.first_position() + i;
        if (done || position < from_position) return;
        if (position >= scan_end) {
          done = true;
          return;
        }
        if (!filter.event_types.empty() &&
            std::find(filter.event_types.begin(), filter.event_types.end(), e.type) ==
                filter.event_types.end()) {
          return;
        }
        slice.events.push_back(make_recorded(batch, i, e, part.segment->path));
        if (slice.events.size() == max_count) done = true;
      });
      if (done) break;
    }
  }
  detail::finish_slice(slice, from_position, max_count, scan_end, head);
  return slice;
}

std::vector<recorded_event> segment_store::do_read_stream(std::string_view stream_id,
                                                          std::uint64_t from_version,
                                                          read_direction direction,
                                                          std::size_t max_count) {
  return read_stream_unlocked(stream_id, from_version, direction, max_count);
}

std::vector<recorded_event> segment_store::read_stream_unlocked(std::string_view stream_id,
                                                                std::uint64_t from_version,
                                                                read_direction direction,
                                                                std::size_t max_count) {
  struct part {
    std::shared_ptr<segment_file> segment;
    stream_batch batch;
  };
  std::vector<part> parts;
  bool forward = direction == read_direction::forward;
  {
    std::shared_lock lock(index_mutex_);
    auto found = streams_.find(std::string(stream_id));
    if (found == streams_.end()) return {};
    const auto& batches = found->second.batches;
    // Counts only the events of each batch that the read returns: the first batch may start
    // before from_version (forward) or end after it (backward).
    std::uint64_t wanted = 0;
    if (forward) {
      auto it = std::partition_point(batches.begin(), batches.end(), [&](const stream_batch& b) {
        return b.first_version + b.count - 1 < from_version;
      });
      for (; it != batches.end() && wanted < max_count; ++it) {
        parts.push_back({segments_[it->segment_number], *it});
        wanted += it->first_version + it->count - std::max(it->first_version, from_version);
      }
    } else {
      if (from_version == 0) return {};
      auto it = std::partition_point(batches.begin(), batches.end(), [&](const stream_batch& b) {
        return b.first_version <= from_version;
      });
      while (it != batches.begin() && wanted < max_count) {
        --it;
        parts.push_back({segments_[it->segment_number], *it});
        wanted += std::min(it->first_version + it->count - 1, from_version) - it->first_version + 1;
      }
    }
  }
  std::vector<recorded_event> events;
  std::string buffer;
  for (const auto& part : parts) {
    auto batch = read_frame_at(*part.segment->file, part.segment->path, part.batch.offset, buffer);
    if (batch.stream_id() != stream_id || batch.first_position() != part.batch.first_position) {
      throw corruption(part.segment->path, static_cast<std::int64_t>(part.batch.offset),
                       "the stream index points at another batch");
    }
    std::vector<recorded_event> in_batch;
    batch.for_each([&](std::uint32_t i, const seg::event_view& e) {
      std::uint64_t version = batch.first_version() + i;
      if (forward ? version >= from_version : version <= from_version) {
        in_batch.push_back(make_recorded(batch, i, e, part.segment->path));
      }
    });
    if (!forward) std::reverse(in_batch.begin(), in_batch.end());
    for (auto& e : in_batch) {
      if (events.size() == max_count) break;
      events.push_back(std::move(e));
    }
  }
  return events;
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
  d.segment_count = segments_.size();
  for (const auto& name : fs_->list(dir_)) {
    d.bytes_on_disk += fs_->open(dir_ + "/" + name, io::open_mode::read_only)->size();
  }
  return d;
}

void segment_store::do_close() {
  // No append is running: close() waits for calls in progress before calling this.
  bool failed;
  {
    std::lock_guard lock(queue_mutex_);
    failed = !failure_.empty();
  }
  if (!failed && !segments_.empty()) {
    try {
      // The index of the active segment lets the next open skip scanning it.
      seal_active();
    } catch (const error& e) {
      warn(std::string("could not write the active segment's index at close: ") + e.what());
    }
  }
  snapshots_.reset();
  std::unique_lock lock(index_mutex_);
  segments_.clear();
  streams_.clear();
  ids_.clear();
  lock_.reset();
}

snapshot_store& segment_store::do_snapshots() { return *snapshots_; }

uuid segment_store::do_store_id() {
  std::lock_guard lock(queue_mutex_);
  return manifest_.store_id;
}

void segment_store::do_adopt_store_id(const uuid& id) {
  // With the queue's lock held and the queue empty, no append is being written or can start.
  std::lock_guard lock(queue_mutex_);
  if (!queue_.empty()) {
    throw invalid_argument("a store takes another store's identity only while it is empty; "
                           "appends to this one are in progress");
  }
  detail::check_identity_change(head_.load());
  seg::manifest changed = manifest_;
  changed.store_id = id;
  seg::write_manifest(*fs_, dir_, changed);
  manifest_ = changed;
}

}  // namespace annal
