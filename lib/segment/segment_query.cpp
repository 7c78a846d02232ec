// The segment backend's queries across streams: the tag index, read_events() and the condition
// of a conditional append (docs/dcb.md).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "annal/error.hpp"
#include "core/metadata_json.hpp"
#include "core/query_plan.hpp"
#include "segment/batch_frame.hpp"
#include "segment/frame_scanner.hpp"
#include "segment/segment_store_parts.hpp"

namespace annal {
seg::segment_tag_index segment_store::tag_index_of(const segment_file& segment, bool sealed,
                                                   std::span<const std::uint64_t> batch_starts) {
  // Only a sealed segment's is read: the active one's bytes may have changed since one was
  // written (a torn tail cut, then appends), so it is always read from its frames. An archived
  // segment has none.
  if (sealed && !segment.archived) {
    std::string reason;
    auto stored = seg::read_tag_index(*fs_, segment.dir, segment.base, reason);
    bool same_batches =
        stored && stored->batch_times.size() == batch_starts.size() &&
        std::equal(batch_starts.begin(), batch_starts.end(), stored->batch_times.begin(),
                   [](std::uint64_t start, const auto& time) { return start == time.first; });
    if (stored && stored->covered_size == segment.size &&
        stored->next_position == segment.next_position && same_batches) {
      return std::move(*stored);
    }
    if (reason != "missing") {
      warn(fmt::format("rebuilding the tag index of '{}': {}", segment.path,
                       stored ? "it describes other bytes or batches" : reason));
    }
  }
  seg::segment_tag_index index(segment.base);
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
  // Derived data beside the store's own sealed segments.
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
  // The log's segments (retention's deleted ones have no file), each with its batches' starts.
  std::vector<std::shared_ptr<segment_file>> segments;
  std::vector<std::vector<std::uint64_t>> batch_starts;
  {
    std::shared_lock lock(index_mutex_);
    for (const auto& segment : segments_) {
      if (segment->file == nullptr) continue;
      segments.push_back(segment);
      batch_starts.emplace_back();
    }
    std::size_t k = 0;
    for (const auto& place : batch_places_) {
      while (k < segments.size() && place.first_position >= segments[k]->next_position) ++k;
      if (k < segments.size()) batch_starts[k].push_back(place.first_position);
    }
  }
  seg::tag_postings built;
  std::vector<std::int64_t> timestamps;  // of each batch in batch_places_, in order
  seg::segment_tag_index active;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    bool sealed = i + 1 < segments.size();
    auto index = tag_index_of(*segments[i], sealed, batch_starts[i]);
    if (index.batch_times.size() != batch_starts[i].size()) {
      throw corruption(segments[i]->path, -1,
                       fmt::format("the segment holds {} batches; the store's index {}",
                                   index.batch_times.size(), batch_starts[i].size()));
    }
    index.load_into(built);
    for (const auto& time : index.batch_times) timestamps.push_back(time.second);
    if (!sealed) active = std::move(index);
  }
  std::unique_lock lock(index_mutex_);
  // No batch came or went meanwhile: the gate holds the writer, scavenge_mutex_ retention.
  for (std::size_t i = 0; i < batch_places_.size() && i < timestamps.size(); ++i) {
    batch_places_[i].timestamp_us = timestamps[i];
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
      // The spot must lie inside its batch's frame, whatever an index file says: nothing is read
      // past what the segment holds.
      auto next = std::next(place);
      const auto& segment = segments_[place->segment_number];
      std::uint64_t frame_end =
          next != batch_places_.end() && next->segment_number == place->segment_number
              ? next->offset
              : segment->size;
      if (spot->offset < place->offset + seg::frame_header_size || spot->offset > frame_end ||
          spot->size > frame_end - spot->offset) {
        throw corruption(segment->path, static_cast<std::int64_t>(spot->offset),
                         fmt::format("the query index places position {} outside its batch's "
                                     "frame (delete the segment's .tix file: the next open "
                                     "rebuilds it)",
                                     position));
      }
      reads.push_back({segment, *spot, place->segment_number + 1 < segments_.size()});
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
      if (seg::spot_crc(event.position, bytes) != spot.crc) {
        throw corruption(segment.path, static_cast<std::int64_t>(spot.offset),
                         fmt::format("the event at position {} does not match the checksum its "
                                     "frame had when the store indexed it (when `annal verify` "
                                     "finds the segment intact, delete its .tix file: the next "
                                     "open rebuilds it)",
                                     event.position));
      }
      seg::event_decoder decoder(bytes, event.type);
      seg::event_view e;
      std::string reason;
      if (!decoder.next(e, reason) || decoder.remaining() != 0 || e.type != event.type) {
        throw corruption(segment.path, static_cast<std::int64_t>(spot.offset),
                         "an indexed event does not decode as its index says: " + reason);
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

std::optional<std::uint64_t> segment_store::committed_match(const query& q, std::uint64_t after,
                                                            std::uint64_t committed) {
  for (std::uint64_t from = after; from < committed;) {
    auto positions = query_positions(q, from, committed, 64);
    if (positions.empty()) break;
    for (const auto& event : events_at(positions)) {
      if (q.matches(event)) return event.position;
    }
    from = positions.back();
  }
  return std::nullopt;
}

}  // namespace annal
