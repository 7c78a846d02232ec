// The segment backend's queries across streams: the tag index, read_events() and the condition
// of a conditional append (docs/dcb.md).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "annal/error.hpp"
#include "core/crc32c.hpp"
#include "core/metadata_json.hpp"
#include "core/query_plan.hpp"
#include "segment/batch_frame.hpp"
#include "segment/frame_scanner.hpp"
#include "segment/segment_store_parts.hpp"

namespace annal {
seg::segment_tag_index segment_store::tag_index_of(const segment_file& segment, bool sealed) {
  {
    // The active segment's is good too when a clean close wrote it and nothing came since.
    std::string reason;
    auto stored = seg::read_tag_index(*fs_, segment.dir, segment.base, reason);
    if (stored && stored->covered_size == segment.size &&
        stored->next_position == segment.next_position) {
      return std::move(*stored);
    }
    if (sealed && reason != "missing") {
      warn(fmt::format("rebuilding the tag index of '{}': {}", segment.path,
                       stored ? "it describes another size or end" : reason));
    }
  }
  seg::segment_tag_index index;
  index.base_position = segment.base;
  index.next_position = segment.base;
  seg::frame_scanner scanner(*segment.file, seg::segment_header_size, segment.size, segment.base);
  for (;;) {
    auto f = scanner.next();
    if (f.status == seg::scan_status::end) break;
    if (f.status != seg::scan_status::frame) {
      throw corruption(segment.path, static_cast<std::int64_t>(f.offset), f.reason);
    }
    index.add_batch(*f.batch, f.offset);
  }
  index.covered_size = segment.size;
  // Derived data beside the store's own sealed segments; the archive directory is left as it is.
  if (sealed && !segment.archived) {
    try {
      seg::write_tag_index(*fs_, segment.dir, index);
    } catch (const error& e) {
      warn(fmt::format("could not write the tag index of '{}': {}", segment.path, e.what()));
    }
  }
  return index;
}

void segment_store::ensure_postings() {
  if (postings_ready_.load(std::memory_order_acquire)) return;
  std::lock_guard gate(writer_gate_);
  build_postings_locked();
}

void segment_store::build_postings_locked() {
  if (postings_ready_.load(std::memory_order_acquire)) return;
  // No group publishes (the caller holds writer_gate_), no scavenge rewrites a segment and
  // retention moves none while the build reads the log up to its head.
  std::lock_guard changing(scavenge_mutex_);
  std::vector<std::shared_ptr<segment_file>> segments;
  {
    std::shared_lock lock(index_mutex_);
    for (const auto& segment : segments_) {
      if (segment->file != nullptr && segment->next_position > log_start_.load()) {
        segments.push_back(segment);
      }
    }
  }
  seg::tag_postings built;
  std::vector<std::pair<std::uint64_t, std::int64_t>> timestamps;  // of each batch
  seg::segment_tag_index active;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    bool sealed = i + 1 < segments.size();
    auto index = tag_index_of(*segments[i], sealed);
    index.load_into(built);
    timestamps.insert(timestamps.end(), index.batch_times.begin(), index.batch_times.end());
    if (!sealed) active = std::move(index);
  }
  std::unique_lock lock(index_mutex_);
  // Both in log order from the log's start.
  auto stamp = timestamps.begin();
  for (auto& place : batch_places_) {
    while (stamp != timestamps.end() && stamp->first < place.first_position) ++stamp;
    if (stamp != timestamps.end() && stamp->first == place.first_position) {
      place.timestamp_us = stamp->second;
    }
  }
  postings_ = std::move(built);
  active_tags_ = std::move(active);
  postings_ready_.store(true, std::memory_order_release);
}

std::vector<std::uint64_t> segment_store::query_positions(const query& q, std::uint64_t after,
                                                          std::uint64_t up_to, std::size_t limit) {
  std::shared_lock lock(index_mutex_);
  after = std::max(after, log_start_.load() - 1);
  std::vector<std::uint64_t> out;
  if (after >= up_to) return out;
  if (q.matches_all()) {
    std::uint64_t last = up_to - after > limit ? after + limit : up_to;
    for (std::uint64_t p = after + 1; p <= last; ++p) out.push_back(p);
    return out;
  }
  for (const auto& item : q.items()) {
    auto plan = detail::plan_item(item);
    if (!plan) continue;
    if (!plan->stream) {
      auto found = postings_.matching(*plan, after, up_to, limit);
      out.insert(out.end(), found.begin(), found.end());
      continue;
    }
    // A stream's item walks the stream's batches and checks its tags and types in the index.
    auto stream = streams_.find(std::string(*plan->stream));
    if (stream == streams_.end()) continue;
    const auto& batches = stream->second.batches;
    auto it = std::partition_point(batches.begin(), batches.end(), [&](const stream_batch& b) {
      return b.first_position + b.count - 1 <= after;
    });
    std::size_t taken = 0;
    for (; it != batches.end() && it->first_position <= up_to && taken < limit; ++it) {
      std::uint64_t first = std::max(it->first_position, after + 1);
      std::uint64_t last = std::min(it->first_position + it->count - 1, up_to);
      for (std::uint64_t p = first; p <= last && taken < limit; ++p) {
        bool tagged = std::all_of(plan->tags.begin(), plan->tags.end(),
                                  [&](std::string_view tag) { return postings_.has_tag(tag, p); });
        if (tagged && postings_.has_type(plan->types, p)) {
          out.push_back(p);
          ++taken;
        }
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::vector<recorded_event> segment_store::events_at(std::span<const std::uint64_t> positions) {
  struct event_read {
    std::shared_ptr<segment_file> segment;
    seg::event_spot spot;
    bool sealed;
  };
  std::vector<event_read> reads;
  std::vector<recorded_event> events;
  reads.reserve(positions.size());
  events.reserve(positions.size());
  {
    std::shared_lock lock(index_mutex_);
    auto place = batch_places_.begin();
    for (std::uint64_t position : positions) {
      // Retention may have deleted the segment since the positions were found: they are gone.
      if (position < log_start_.load()) continue;
      const seg::event_spot* spot = postings_.spot(position);
      if (place == batch_places_.end() || position < place->first_position) {
        place = batch_places_.begin();
      }
      place = std::partition_point(place, batch_places_.end(), [&](const batch_place& b) {
        return b.first_position + b.count <= position;
      });
      if (spot == nullptr || place == batch_places_.end() || place->first_position > position) {
        throw corruption(
            dir_, -1,
            fmt::format("the query index names position {}, which it cannot place", position));
      }
      reads.push_back(
          {segments_[place->segment_number], *spot, place->segment_number + 1 < segments_.size()});
      recorded_event& event = events.emplace_back();
      event.position = position;
      event.stream_id = *place->stream_id;
      event.stream_version = place->first_version + (position - place->first_position);
      event.timestamp =
          std::chrono::system_clock::time_point(std::chrono::microseconds(place->timestamp_us));
      event.type = postings_.type_name(spot->type);
    }
  }
  // Events close to each other in one segment are read together.
  std::string buffer;
  for (std::size_t first = 0; first < reads.size();) {
    const auto& segment = *reads[first].segment;
    std::uint64_t begin = reads[first].spot.offset;
    std::uint64_t end = begin + reads[first].spot.size;
    std::size_t last = first + 1;
    while (last < reads.size() && reads[last].segment == reads[first].segment &&
           reads[last].spot.offset >= end && reads[last].spot.offset <= end + 4096 &&
           reads[last].spot.offset + reads[last].spot.size - begin <= (1u << 20)) {
      end = reads[last].spot.offset + reads[last].spot.size;
      ++last;
    }
    // A published event's bytes are in the file: read through its mapping when it has one.
    // A sealed segment is mapped as it is; the active one as large as it may grow.
    auto map = segment.file->mapped(reads[first].sealed
                                        ? segment.file->size()
                                        : std::max(options_.segment_size, segment.file->size()));
    std::string_view region;
    if (end <= map.size()) {
      region = {reinterpret_cast<const char*>(map.data()) + begin, end - begin};
    } else {
      buffer.resize(end - begin);
      if (segment.file->read_at(begin, {reinterpret_cast<std::byte*>(buffer.data()),
                                        buffer.size()}) != buffer.size()) {
        throw corruption(segment.path, static_cast<std::int64_t>(begin),
                         "an indexed event is past the end of its segment");
      }
      region = buffer;
    }
    for (std::size_t k = first; k < last; ++k) {
      const auto& spot = reads[k].spot;
      std::string_view bytes = region.substr(spot.offset - begin, spot.size);
      recorded_event& event = events[k];
      if (detail::crc32c(seg::as_bytes(bytes)) != spot.crc) {
        throw corruption(segment.path, static_cast<std::int64_t>(spot.offset),
                         fmt::format("the event at position {} does not match the checksum its "
                                     "frame had when the store indexed it",
                                     event.position));
      }
      seg::event_decoder decoder(bytes, event.type);
      seg::event_view e;
      std::string reason;
      if (!decoder.next(e, reason) || decoder.remaining() != 0) {
        throw corruption(segment.path, static_cast<std::int64_t>(spot.offset),
                         "an indexed event does not decode: " + reason);
      }
      event.id = e.id;
      event.encoding = e.encoding;
      event.type_version = e.type_version;
      event.metadata = detail::decode_metadata(e.metadata, segment.path);
      event.payload = std::string(e.payload);
      event.tags = seg::tags_of(e);
    }
    first = last;
  }
  // A position skipped for retention left no read: the events are those read.
  return events;
}

query_page segment_store::do_read_events(const query& q, std::uint64_t after,
                                         std::size_t max_count) {
  ensure_postings();
  query_page page;
  page.read_up_to = head_.load();
  // The index may name events a scavenge erased since: each candidate is checked as read.
  while (page.events.size() < max_count) {
    std::size_t wanted = max_count - page.events.size();
    auto positions =
        query_positions(q, after, page.read_up_to, std::min<std::size_t>(wanted, 4096));
    if (positions.empty()) break;
    for (auto& event : events_at(positions)) {
      if (q.matches(event)) page.events.push_back(std::move(event));
    }
    after = positions.back();
  }
  return page;
}

std::optional<std::uint64_t> segment_store::first_match(const query& q, std::uint64_t after,
                                                        const group_plan& plan) {
  // The writer publishes nothing while it decides: the committed log ends at the head.
  std::uint64_t committed = head_.load();
  if (q.matches_all() && after < committed) return std::max(after + 1, log_start_.load());
  for (std::uint64_t from = after; from < committed;) {
    auto positions = query_positions(q, from, committed, 64);
    if (positions.empty()) break;
    for (const auto& event : events_at(positions)) {
      if (q.matches(event)) return event.position;
    }
    from = positions.back();
  }
  for (const auto& b : plan.batches) {
    const auto& events = b.append->events;
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (b.first_position + i > after &&
          q.matches(b.append->stream_id, events[i].type, events[i].tags)) {
        return b.first_position + i;
      }
    }
  }
  return std::nullopt;
}

}  // namespace annal
