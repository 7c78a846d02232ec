// The segment backend's readers: positioned reads of the log and of one stream's frames.
#include <algorithm>
#include <chrono>

#include "annal/error.hpp"
#include "core/metadata_json.hpp"
#include "core/read_window.hpp"
#include "segment/batch_frame.hpp"
#include "segment/frame_scanner.hpp"
#include "segment/segment_store_parts.hpp"

namespace annal {

// ---- Reading --------------------------------------------------------------------------------

std::vector<segment_store::read_part> segment_store::parts_from(std::uint64_t& from_position,
                                                                std::uint64_t& head) {
  std::vector<read_part> parts;
  std::shared_lock lock(index_mutex_);
  // Retention may have deleted the log's oldest segments: reading starts at the first left.
  from_position = std::max(from_position, log_start_.load());
  head = head_.load();
  if (from_position > head) return parts;
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
  return parts;
}

log_slice segment_store::do_read_all(std::uint64_t from_position, std::size_t max_count,
                                     const read_filter& filter) {
  std::uint64_t head = 0;
  std::uint64_t scan_end = 0;
  log_slice slice;
  bool done = false;
  scan_batches(from_position, head, [&](const seg::batch_view& batch, const segment_file& segment) {
    if (scan_end == 0) {
      // The scan has fixed the log's start and head by the first batch.
      scan_end = detail::scan_end(from_position, head, !filter.empty());
      slice.events.reserve(std::min<std::uint64_t>({max_count, scan_end - from_position, 65536}));
    }
    if (batch.first_position() >= scan_end) return false;
    if (!filter.stream_prefix.empty() && !batch.stream_id().starts_with(filter.stream_prefix)) {
      return true;
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
      slice.events.push_back(seg::recorded_of(batch, i, e, segment.path));
      if (slice.events.size() == max_count) done = true;
    });
    return !done;
  });
  if (scan_end == 0) scan_end = detail::scan_end(from_position, head, !filter.empty());
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
    auto batch =
        seg::read_frame_at(*part.segment->file, part.segment->path, part.batch.offset, buffer);
    if (batch.stream_id() != stream_id || batch.first_position() != part.batch.first_position) {
      throw corruption(part.segment->path, static_cast<std::int64_t>(part.batch.offset),
                       "the stream index points at another batch");
    }
    std::vector<recorded_event> in_batch;
    batch.for_each([&](std::uint32_t i, const seg::event_view& e) {
      std::uint64_t version = batch.first_version() + i;
      if (forward ? version >= from_version : version <= from_version) {
        in_batch.push_back(seg::recorded_of(batch, i, e, part.segment->path));
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

}  // namespace annal
