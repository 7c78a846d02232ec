// The segment backend's queries across streams: the tag index, read_events() and the condition
// of a conditional append (docs/dcb.md).
#include <fmt/format.h>

#include <algorithm>

#include "annal/error.hpp"
#include "core/query_plan.hpp"
#include "segment/batch_frame.hpp"
#include "segment/frame_scanner.hpp"
#include "segment/segment_store_parts.hpp"

namespace annal {

void segment_store::ensure_postings() {
  if (postings_ready_.load(std::memory_order_acquire)) return;
  std::lock_guard gate(writer_gate_);
  build_postings_locked();
}

void segment_store::build_postings_locked() {
  if (postings_ready_.load(std::memory_order_acquire)) return;
  seg::tag_postings built;
  std::uint64_t from = 1;
  std::uint64_t head = 0;
  // No group publishes meanwhile (the caller holds writer_gate_): the scan reads up to the head.
  scan_batches(from, head, [&](const seg::batch_view& batch, const segment_file&) {
    batch.for_each([&](std::uint32_t i, const seg::event_view& e) {
      std::uint64_t position = batch.first_position() + i;
      built.add_type(position, e.type);
      seg::for_each_tag(e, [&](std::string_view tag) { built.add_tag(position, tag); });
    });
    return true;
  });
  std::unique_lock lock(index_mutex_);
  postings_ = std::move(built);
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
  struct frame_read {
    std::shared_ptr<segment_file> segment;
    batch_place place;
    std::vector<std::uint32_t> indexes;
  };
  std::vector<frame_read> reads;
  {
    std::shared_lock lock(index_mutex_);
    for (std::uint64_t position : positions) {
      // Retention may have deleted the segment since the positions were found: they are gone.
      if (position < log_start_.load()) continue;
      if (!reads.empty() &&
          position < reads.back().place.first_position + reads.back().place.count) {
        reads.back().indexes.push_back(
            static_cast<std::uint32_t>(position - reads.back().place.first_position));
        continue;
      }
      auto it = std::partition_point(
          batch_places_.begin(), batch_places_.end(),
          [&](const batch_place& b) { return b.first_position + b.count <= position; });
      if (it == batch_places_.end() || it->first_position > position) {
        throw corruption(
            dir_, -1,
            fmt::format("the tag index names position {}, which no batch holds", position));
      }
      reads.push_back({segments_[it->segment_number],
                       *it,
                       {static_cast<std::uint32_t>(position - it->first_position)}});
    }
  }
  std::vector<recorded_event> events;
  events.reserve(positions.size());
  std::string buffer;
  for (const auto& read : reads) {
    const auto& segment = *read.segment;
    auto batch = seg::read_frame_at(*segment.file, segment.path, read.place.offset, buffer);
    if (batch.first_position() != read.place.first_position) {
      throw corruption(segment.path, static_cast<std::int64_t>(read.place.offset),
                       "the log's batch index points at another batch");
    }
    auto wanted = read.indexes.begin();
    batch.for_each([&](std::uint32_t i, const seg::event_view& e) {
      if (wanted == read.indexes.end() || *wanted != i) return;
      events.push_back(seg::recorded_of(batch, i, e, segment.path));
      ++wanted;
    });
  }
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
