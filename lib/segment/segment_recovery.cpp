// The segment backend's recovery on open: the manifest, each segment's header, index and frames.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "annal/error.hpp"
#include "core/store_identity.hpp"
#include "segment/frame_scanner.hpp"
#include "segment/manifest.hpp"
#include "segment/segment_header.hpp"
#include "segment/segment_store_parts.hpp"

namespace annal {

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
               !name.ends_with(seg::index_suffix) && !name.ends_with(seg::tag_index_suffix) &&
               !name.ends_with(".tmp")) {
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

// The manifest; nullopt when there is none, or when it is damaged and repair_by_truncation
// lets the store write a new one.
std::optional<seg::manifest> segment_store::read_manifest_for_recovery() {
  try {
    return seg::read_manifest(*fs_, dir_);
  } catch (const corruption& e) {
    if (!options_.repair_by_truncation) {
      throw corruption(dir_ + "/" + std::string(seg::manifest_file_name), -1,
                       std::string(e.what()) +
                           "; open with repair_by_truncation to write a new one (with a new "
                           "store identity)");
    }
    warn(std::string("repair_by_truncation: ") + e.what() +
         "; writing a new manifest with a new store identity");
    return std::nullopt;
  }
}

void segment_store::recover() {
  const std::optional<seg::manifest> found = read_manifest_for_recovery();
  const std::uint64_t log_start = found ? found->log_start : 1;
  std::vector<std::uint64_t> bases;
  bool removed = false;
  for (const auto& name : fs_->list(dir_)) {
    if (auto base = seg::segment_base_of(name)) {
      if (*base >= log_start) {
        bases.push_back(*base);
        continue;
      }
      // Retention deleted the segments before the log's start, and a crash cut it short.
      remove_sidecars(dir_, *base);
      fs_->remove(dir_ + "/" + name);
      removed = true;
    } else if (name.ends_with(".tmp")) {
      fs_->remove(dir_ + "/" + name);  // an index, manifest or segment write cut short
    }
  }
  if (removed) fs_->sync_dir(dir_);
  std::sort(bases.begin(), bases.end());
  // Archived segments: those before the first one here, read where retention moved them. A copy
  // left here by a crash during archiving is the one read.
  std::vector<std::uint64_t> archived;
  const std::string& archive_dir = options_.segment_archive_dir;
  if (!archive_dir.empty()) {
    if (!fs_->exists(archive_dir)) {
      fs_->create_dir(archive_dir);
      std::string parent = std::filesystem::path(archive_dir).parent_path().string();
      fs_->sync_dir(parent.empty() ? "." : parent);
    }
    bool stale = false;
    for (const auto& name : fs_->list(archive_dir)) {
      auto base = seg::segment_base_of(name);
      if (!base && name.ends_with(seg::index_suffix)) {
        base = seg::segment_base_of(name.substr(0, name.size() - seg::index_suffix.size()) +
                                    std::string(seg::segment_suffix));
      }
      if (name.ends_with(".tmp") || (base && !bases.empty() && *base >= bases.front())) {
        // A copy cut short, or one left by a crash after the copy and before the original's
        // removal: the store's own file is the one read, and may since have been scavenged.
        fs_->remove(archive_dir + "/" + name);
        stale = true;
      } else if (base && *base >= log_start && name.ends_with(seg::segment_suffix)) {
        archived.push_back(*base);
      }
    }
    if (stale) fs_->sync_dir(archive_dir);
    std::sort(archived.begin(), archived.end());
  }
  std::string manifest_path = dir_ + "/" + std::string(seg::manifest_file_name);
  if (bases.empty()) {
    if (found) {
      throw corruption(manifest_path, -1,
                       fmt::format("the manifest records segments up to base position {}, but "
                                   "no segment file is left",
                                   found->last_segment_base));
    }
    manifest_ = {detail::new_store_id(), 1, 1};
    create_segment(1);
    return;
  }
  // Segments are created before the manifest names them, so it may lag behind the files by one
  // segment, never run ahead of them: a segment it names that is not there was lost.
  if (found && found->last_segment_base > bases.back()) {
    std::string message = fmt::format(
        "segment file {} is missing: the manifest records the log reaching base position {}, but "
        "the last segment file starts at {}",
        seg::segment_file_name(found->last_segment_base), found->last_segment_base, bases.back());
    if (!options_.repair_by_truncation) {
      throw corruption(manifest_path, -1,
                       message + "; open with repair_by_truncation to accept the log as it is");
    }
    warn("repair_by_truncation: " + message + "; the log ends where the files end");
  }
  if (!found && !fs_->exists(manifest_path)) {
    warn(
        fmt::format("'{}' has no manifest (written by an older annal); writing one with a new "
                    "store identity",
                    dir_));
  }
  manifest_ = found ? *found : seg::manifest{detail::new_store_id(), 0, 1};
  log_start_.store(log_start);
  head_.store(log_start - 1);
  std::uint64_t next = log_start;
  for (std::uint64_t base : archived) {
    std::string path = archive_dir + "/" + seg::segment_file_name(base);
    if (base != next) {
      throw corruption(path, 0,
                       fmt::format("archived segment starts at position {}, but the log before "
                                   "it ends at {}: an archived segment file is missing",
                                   base, next - 1));
    }
    seg::segment_index records;
    if (load_segment(archive_dir, base, false, next, records)) {
      throw corruption(path, -1, "repair_by_truncation does not cut archived segments");
    }
    segments_.back()->archived = true;
  }
  for (std::size_t i = 0; i < bases.size(); ++i) {
    std::string path = dir_ + "/" + seg::segment_file_name(bases[i]);
    if (bases[i] != next) {
      throw corruption(
          path, 0,
          fmt::format("segment starts at position {}, but the log before it ends at {}: a "
                      "segment file is missing{}",
                      bases[i], next - 1,
                      archive_dir.empty() && i == 0
                          ? " (or archived by retention: open the store with its archive_dir)"
                          : ""));
    }
    bool last = i + 1 == bases.size();
    seg::segment_index records;
    bool cut = load_segment(dir_, bases[i], last, next, records);
    if (cut && !last) {
      // Repair by truncation: everything after the damage goes, later segments included. The
      // manifest first, so that it never names a segment that is gone.
      manifest_.last_segment_base = bases[i];
      seg::write_manifest(*fs_, dir_, manifest_);
      for (std::size_t j = i + 1; j < bases.size(); ++j) {
        fs_->remove(dir_ + "/" + seg::segment_file_name(bases[j]));
        remove_sidecars(dir_, bases[j]);
      }
      fs_->sync_dir(dir_);
      warn(fmt::format("removed {} segment(s) after the damage in '{}'", bases.size() - i - 1,
                       path));
      last = true;
    }
    if (last) {
      if (cut) remove_sidecars(dir_, bases[i]);
      active_index_ = std::move(records);
      active_written_ = segments_.back()->size;
      break;
    }
  }
  if (!found || manifest_.last_segment_base != segments_.back()->base) {
    manifest_.last_segment_base = segments_.back()->base;
    seg::write_manifest(*fs_, dir_, manifest_);
  }
  upgrade_active_segment();
}

// New events go only to segments of the current format version, so that an older annal that
// opens the store is refused by a segment's header instead of misreading a frame. The active
// segment of a store an older annal wrote gets a header of the current version in place when it
// holds no frame (a crash in between leaves an incomplete header, which the next open rewrites)
// and is sealed otherwise; its frames stay as they are, and stay readable.
void segment_store::upgrade_active_segment() {
  auto& active = *segments_.back();
  if (seg::read_segment_version(*active.file) == seg::format_version) return;
  if (active.size == seg::segment_header_size) {
    active.file->truncate(0);
    active.file->append(seg::as_bytes(seg::encode_segment_header(active.base)));
    active.file->sync();
  } else {
    seal_active();
    create_segment(active.next_position);
  }
}

// Loads one segment into the index from its index file and a scan of what the index does not
// cover. Returns true when the segment was cut by repair_by_truncation.
bool segment_store::load_segment(const std::string& dir, std::uint64_t base, bool last,
                                 std::uint64_t& next, seg::segment_index& records) {
  std::string path = dir + "/" + seg::segment_file_name(base);
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
      warn(
          fmt::format("repair_by_truncation: '{}' has a damaged header ({}); the log is cut at "
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
  segment->dir = dir;
  segment->path = path;
  segment->file = std::move(file);
  auto number = static_cast<std::uint32_t>(segments_.size());
  segments_.push_back(segment);

  std::string reason;
  bool rebuilt = true;
  if (auto index = seg::read_segment_index(*fs_, dir, base, reason)) {
    const std::uint64_t covered = index->covered_size;
    if (covered > size || (!last && covered != size) || covered < seg::segment_header_size ||
        index->next_position < base) {
      reason = fmt::format("stale: covers {} bytes of {}", covered, size);
    } else {
      records = std::move(*index);
      rebuilt = false;
    }
  }
  if (rebuilt) {
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
      seg::batch_record record =
          seg::record_of(batch, f.offset, [&](std::uint32_t i, const seg::event_view& e) {
            ids_.insert(e.id, batch.first_position() + i);
            records.ids.emplace_back(e.id, batch.first_position() + i);
          });
      index_batch(number, record);
      seg::add_sparse(records.sparse, batch.first_position(), f.offset);
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
  if (!last && !cut && rebuilt) seg::write_segment_index(*fs_, dir, records);
  return cut;
}

void segment_store::remove_sidecars(const std::string& dir, std::uint64_t base) {
  fs_->remove(dir + "/" + seg::index_file_name(base));
  fs_->remove(dir + "/" + seg::tag_index_file_name(base));
}

void segment_store::index_batch(std::uint32_t segment_number, const seg::batch_record& batch,
                                std::int64_t timestamp_us) {
  auto [entry, added] = streams_.try_emplace(batch.stream_id);
  batch_places_.push_back({batch.first_position, batch.count, segment_number, batch.offset,
                           batch.first_version, timestamp_us, &entry->first});
  auto& stream = entry->second;
  stream.batches.push_back(
      {batch.first_version, batch.first_position, batch.count, segment_number, batch.offset});
  stream.version = batch.first_version + batch.count - 1;
  stream.tombstoned = batch.ends_in_tombstone;
}

}  // namespace annal
