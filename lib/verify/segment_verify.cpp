// Verifies a segment store: reads every segment frame by frame and checks each index sidecar.
#include "verify/segment_verify.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <optional>
#include <unordered_map>

#include "annal/error.hpp"
#include "core/event_rules.hpp"
#include "core/metadata_json.hpp"
#include "segment/frame_scanner.hpp"
#include "segment/manifest.hpp"
#include "segment/segment_format.hpp"
#include "segment/segment_header.hpp"
#include "segment/segment_index_file.hpp"
#include "segment/tag_index_file.hpp"
#include "verify/problem_list.hpp"

namespace annal::verify {
namespace {

namespace seg = annal::segment;

// A frame as scanned, to check the index against.
struct frame_info {
  std::uint64_t offset;
  std::uint64_t size;
  seg::batch_record record;
};

using seg::index_batch_count_at;
using seg::index_covered_size_at;
using seg::index_entries_at;
using seg::index_id_count_at;
using seg::index_next_position_at;

// A segment file to check: its base position and the directory it is in.
struct segment_place {
  std::uint64_t base;
  std::string dir;
};

class checker {
 public:
  checker(io::file_system& fs, verify_report& report, std::uint64_t log_start)
      : fs_(fs), report_(report), next_(log_start), log_start_(log_start) {}

  void run(const std::vector<segment_place>& segments) {
    for (std::size_t i = 0; i < segments.size(); ++i) {
      bool last = i + 1 == segments.size();
      dir_ = segments[i].dir;
      check_segment(segments[i].base, last, last ? segments[i].base : segments[i + 1].base);
    }
    check_ids();
    report_.streams_checked = versions_.size();
  }

 private:
  void problem(const std::string& file, std::int64_t offset, std::uint64_t position,
               std::string stream_id, std::string message) {
    add_problem(report_, file, offset, position, std::move(stream_id), std::move(message));
  }

  void check_segment(std::uint64_t base, bool last, std::uint64_t next_base) {
    std::string path = dir_ + "/" + seg::segment_file_name(base);
    ++report_.files_checked;
    if (base > next_) {
      problem(path, 0, next_, {},
              fmt::format("positions {} to {} are missing: a segment file is missing", next_,
                          base - 1));
    } else if (base < next_) {
      problem(path, 0, base, {},
              fmt::format("the segment starts at position {}, but the log before it ends at {}",
                          base, next_ - 1));
    }
    auto file = fs_.open(path, io::open_mode::read_only);
    std::uint64_t size = file->size();
    if (!header_ok(*file, path, base)) {
      // Nothing in the segment can be trusted; go on with the next one where it says it starts.
      next_ = next_base;
      return;
    }
    std::vector<frame_info> frames;
    std::vector<uuid> ids;              // the segment's event ids, by position - base
    seg::segment_tag_index tags(base);  // what the segment's tag index must hold
    std::uint64_t readable = size;
    seg::frame_scanner scanner(*file, seg::segment_header_size, size, base);
    for (;;) {
      auto f = scanner.next();
      if (f.status == seg::scan_status::end) break;
      if (f.status == seg::scan_status::frame) {
        check_frame(path, f, ids);
        const auto& b = *f.batch;
        tags.add_batch(b, f.offset);
        frames.push_back(
            {f.offset, f.size, seg::record_of(b, f.offset, [](std::uint32_t, const auto&) {})});
        continue;
      }
      if (f.status == seg::scan_status::torn_tail && last) {
        problem(path, static_cast<std::int64_t>(f.offset), scanner.next_position(), {},
                fmt::format("torn tail of {} bytes ({}): what a crash during an append leaves; "
                            "the next open truncates it",
                            size - f.offset, f.reason));
      } else {
        problem(path, static_cast<std::int64_t>(f.offset), scanner.next_position(), {},
                f.reason +
                    (f.status == seg::scan_status::torn_tail ? " (in a sealed segment)" : "") +
                    "; the rest of the segment is unreadable");
      }
      // The index may describe bytes past the damage; only what could be read is compared.
      readable = f.offset;
      break;
    }
    next_ = scanner.next_position();
    check_index(base, readable, size, frames, ids);
    tags.covered_size = readable;
    check_tag_index(base, readable == size, tags);
  }

  // The tag index sidecar, when there is one that covers the segment as it is (a shorter one is
  // what a clean close left before later appends, and is rebuilt), must hold exactly its events'
  // places, types and tags. `whole` is false when damage stopped the scan.
  void check_tag_index(std::uint64_t base, bool whole, const seg::segment_tag_index& expected) {
    std::string path = dir_ + "/" + seg::tag_index_file_name(base);
    std::string reason;
    auto stored = seg::read_tag_index(fs_, dir_, base, reason);
    if (!stored) {
      if (reason != "missing") {
        ++report_.files_checked;
        problem(path, -1, 0, {},
                fmt::format("the tag index is unusable ({}); the next query rebuilds it", reason));
      }
      return;
    }
    ++report_.files_checked;
    if (!whole || stored->covered_size != expected.covered_size) return;
    if (*stored != expected) {
      problem(path, -1, base, {},
              "the tag index does not match the segment's events (their places, types or tags); "
              "delete it and the next query rebuilds it");
    }
  }

  bool header_ok(const io::file& file, const std::string& path, std::uint64_t base) {
    auto fault = seg::read_segment_header(file, base);
    if (!fault) return true;
    problem(path, fault->offset, base, {}, fault->reason);
    return false;
  }

  void check_frame(const std::string& path, const seg::scanned_frame& f, std::vector<uuid>& ids) {
    const auto& b = *f.batch;
    auto offset = static_cast<std::int64_t>(f.offset);
    std::string stream(b.stream_id());
    auto [at, first_seen] = versions_.try_emplace(stream, 0);
    std::uint64_t& version = at->second;
    // Retention may have deleted a stream's first batches with the log's oldest segments.
    bool cut_by_retention = first_seen && log_start_ > 1;
    if (b.first_version() != version + 1 && !cut_by_retention) {
      problem(path, offset, b.first_position(), stream,
              fmt::format("stream version jumps from {} to {}", version, b.first_version()));
    }
    version = b.first_version() + b.count() - 1;
    b.for_each([&](std::uint32_t i, const seg::event_view& e) {
      std::uint64_t position = b.first_position() + i;
      all_ids_.emplace_back(e.id, position);
      ids.push_back(e.id);
      try {
        detail::decode_metadata(e.metadata, path);
      } catch (const corruption& c) {
        problem(path, offset, position, stream, c.what());
      }
      if (e.tag_count > 0) {
        if (auto why = detail::stored_tags_problem(seg::tags_of(e)); !why.empty()) {
          problem(path, offset, position, stream, "the event's tags: " + why);
        }
      }
    });
    report_.events_checked += b.count();
  }

  // The index sidecar must describe exactly the frames in the bytes it covers. `size` is how
  // much of the segment could be read: `file_size`, or less when damage stopped the scan.
  void check_index(std::uint64_t base, std::uint64_t size, std::uint64_t file_size,
                   const std::vector<frame_info>& frames, const std::vector<uuid>& ids) {
    std::string path = dir_ + "/" + seg::index_file_name(base);
    std::string reason;
    auto index = seg::read_segment_index(fs_, dir_, base, reason);
    if (!index) {
      // A missing index is normal (an active segment after a crash); it is derived data.
      if (reason != "missing") {
        ++report_.files_checked;
        problem(path, -1, 0, {},
                fmt::format("the index is unusable ({}); the next open rebuilds it", reason));
      }
      return;
    }
    ++report_.files_checked;
    std::string segment_name = seg::segment_file_name(base);
    if (index->covered_size > size) {
      // Past damage already reported, the index cannot be compared; otherwise it is too long.
      if (size == file_size) {
        problem(path, index_covered_size_at, 0, {},
                fmt::format("the index covers {} bytes of {}, which has only {}",
                            index->covered_size, segment_name, size));
      }
      return;
    }
    auto covered_end = std::find_if(frames.begin(), frames.end(), [&](const frame_info& f) {
      return f.offset >= index->covered_size;
    });
    std::uint64_t boundary = covered_end == frames.begin()
                                 ? seg::segment_header_size
                                 : std::prev(covered_end)->offset + std::prev(covered_end)->size;
    if (boundary != index->covered_size) {
      problem(path, index_covered_size_at, 0, {},
              fmt::format("the index covers {} bytes of {}, which is not a frame boundary",
                          index->covered_size, segment_name));
      return;
    }
    std::uint64_t next =
        covered_end == frames.begin()
            ? base
            : std::prev(covered_end)->record.first_position + std::prev(covered_end)->record.count;
    if (index->next_position != next) {
      problem(path, index_next_position_at, next, {},
              fmt::format("the index says the covered bytes end before position {}, the frames "
                          "before position {}",
                          index->next_position, next));
    }
    auto frame_at = [&](std::uint64_t offset) -> const frame_info* {
      auto it = std::lower_bound(frames.begin(), covered_end, offset,
                                 [](const frame_info& f, std::uint64_t o) { return f.offset < o; });
      return it != covered_end && it->offset == offset ? &*it : nullptr;
    };
    auto covered_frames = static_cast<std::size_t>(covered_end - frames.begin());
    if (index->batches.size() != covered_frames) {
      problem(path, index_batch_count_at, 0, {},
              fmt::format("the index lists {} batches; the bytes it covers hold {}",
                          index->batches.size(), covered_frames));
    }
    // Entry offsets in the index file, to point at the entry that is wrong.
    auto entry_at = static_cast<std::int64_t>(index_entries_at + 16 * index->sparse.size());
    for (const auto& b : index->batches) {
      std::int64_t at = entry_at;
      entry_at +=
          static_cast<std::int64_t>((index->format_version >= 2 ? 31 : 30) + b.stream_id.size());
      const frame_info* f = frame_at(b.offset);
      if (f == nullptr || f->record != b) {
        problem(path, at, b.first_position, b.stream_id,
                fmt::format("the index's batch at offset {} of {} does not match the frame there",
                            b.offset, segment_name));
      }
    }
    for (std::size_t i = 0; i < index->sparse.size(); ++i) {
      const auto& s = index->sparse[i];
      const frame_info* f = frame_at(s.offset);
      if (f == nullptr || f->record.first_position != s.position) {
        problem(path, static_cast<std::int64_t>(index_entries_at + 16 * i), s.position, {},
                fmt::format("the index's sparse entry for position {} points at offset {} of {}, "
                            "where no frame starts with that position",
                            s.position, s.offset, segment_name));
      }
    }
    if (index->ids.size() != next - base) {
      problem(path, index_id_count_at, 0, {},
              fmt::format("the index lists {} event ids; the bytes it covers hold {} events",
                          index->ids.size(), next - base));
    }
    for (std::size_t i = 0; i < index->ids.size(); ++i) {
      const auto& [id, position] = index->ids[i];
      if (position < base || position >= next || ids[position - base] != id) {
        problem(path, entry_at + static_cast<std::int64_t>(24 * i), position, {},
                fmt::format("the index places event id {} at position {}, where the log has "
                            "another event",
                            id.to_string(), position));
      }
    }
  }

  void check_ids() {
    std::sort(all_ids_.begin(), all_ids_.end());
    for (std::size_t i = 1; i < all_ids_.size(); ++i) {
      if (all_ids_[i].first == all_ids_[i - 1].first) {
        problem(
            dir_, -1, all_ids_[i].second, {},
            fmt::format("event id {} is stored at positions {} and {}",
                        all_ids_[i].first.to_string(), all_ids_[i - 1].second, all_ids_[i].second));
      }
    }
  }

  std::string dir_;  // of the segment being checked
  io::file_system& fs_;
  verify_report& report_;
  std::uint64_t next_;
  std::uint64_t log_start_;
  std::unordered_map<std::string, std::uint64_t> versions_;
  std::vector<std::pair<uuid, std::uint64_t>> all_ids_;
};

}  // namespace

namespace {

// The manifest must be readable and must not name a segment beyond the last file: segments are
// created before the manifest names them, so a named segment that is gone was lost. A store
// without a manifest was written by an older annal, which the next open brings up to date.
// Returns the log's start as the manifest records it (1 when it cannot tell).
std::uint64_t check_manifest(const std::string& dir, io::file_system& fs,
                             const std::vector<std::uint64_t>& bases, verify_report& report) {
  std::string path = dir + "/" + std::string(seg::manifest_file_name);
  std::optional<seg::manifest> m;
  try {
    m = seg::read_manifest(fs, dir);
  } catch (const error& e) {
    add_problem(report, path, -1, 0, {}, e.what());
    return 1;
  }
  std::uint64_t last = bases.empty() ? 0 : bases.back();
  if (m && m->last_segment_base > last) {
    add_problem(
        report, dir + "/" + seg::segment_file_name(m->last_segment_base), -1, m->last_segment_base,
        {},
        fmt::format("segment file {} is missing: the manifest records the log reaching "
                    "base position {}, but the last segment file starts at {}",
                    seg::segment_file_name(m->last_segment_base), m->last_segment_base, last));
  }
  return m ? m->log_start : 1;
}

}  // namespace

void verify_segment_store(const std::string& dir, const std::string& archive_dir,
                          io::file_system& fs, verify_report& report) {
  report.backend = "segment";
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) {
    throw io_error(ENOENT, dir, "no segment store here: the directory does not exist");
  }
  std::vector<std::string> names = fs.list(dir);
  std::unique_ptr<io::file_lock> lock;
  std::string lock_path = dir + "/" + std::string(seg::lock_file_name);
  if (fs.exists(lock_path)) {
    try {
      lock = fs.lock(lock_path);
    } catch (const io_error& e) {
      // Only a lock held elsewhere means the store is in use; other failures say what they are.
      if (e.system_code() != EWOULDBLOCK) throw;
      throw io_error(e.system_code(), dir,
                     "the store is open in another process; verify it once that process closes it");
    }
  }
  std::vector<std::uint64_t> bases;
  for (const auto& name : names) {
    if (auto base = seg::segment_base_of(name)) bases.push_back(*base);
  }
  std::sort(bases.begin(), bases.end());
  std::uint64_t log_start = check_manifest(dir, fs, bases, report);
  if (bases.empty()) {
    add_problem(report, dir, -1, 0, {}, "no segment files: this is not a segment store");
    return;
  }
  std::vector<segment_place> segments;
  if (!archive_dir.empty() && fs.exists(archive_dir)) {
    std::vector<std::uint64_t> archived;
    for (const auto& name : fs.list(archive_dir)) {
      auto base = seg::segment_base_of(name);
      if (base && *base >= log_start && *base < bases.front()) archived.push_back(*base);
    }
    std::sort(archived.begin(), archived.end());
    for (auto base : archived) segments.push_back({base, archive_dir});
  }
  for (auto base : bases) {
    if (base >= log_start) {
      segments.push_back({base, dir});
    } else {
      add_problem(report, dir + "/" + seg::segment_file_name(base), -1, base, {},
                  fmt::format("the segment is before the log's start at position {}: retention "
                              "deleting it was cut short; the next open removes it",
                              log_start));
    }
  }
  checker(fs, report, log_start).run(segments);
}

}  // namespace annal::verify
