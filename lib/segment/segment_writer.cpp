// The segment backend's writer: the append queue, group commit, segment rolls and publication.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "annal/error.hpp"
#include "core/append_decision.hpp"
#include "core/batch_chain.hpp"
#include "core/commit_group.hpp"
#include "core/log_tree.hpp"
#include "core/metadata_json.hpp"
#include "core/stream_lifecycle.hpp"
#include "segment/batch_frame.hpp"
#include "segment/manifest.hpp"
#include "segment/segment_header.hpp"
#include "segment/segment_store_parts.hpp"

namespace annal {
namespace {

std::int64_t now_microseconds() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void segment_store::create_segment(std::uint64_t base) {
  std::string path = dir_ + "/" + seg::segment_file_name(base);
  fs_->remove(path);
  auto file = fs_->open(path, io::open_mode::read_write);
  file->append(seg::as_bytes(seg::encode_segment_header(base)));
  file->sync();
  fs_->sync_dir(dir_);
  auto segment = std::make_shared<segment_file>();
  segment->base = base;
  segment->dir = dir_;
  segment->path = path;
  segment->file = std::move(file);
  segment->size = seg::segment_header_size;
  segment->next_position = base;
  {
    // Only once the segment is durable may the manifest name it; and before the index has it,
    // so that retention, which may delete the previous segment once this one is listed, never
    // writes a log start past the manifest's last segment.
    std::lock_guard lock(manifest_mutex_);
    manifest_.last_segment_base = base;
    write_manifest_locked();
  }
  {
    std::unique_lock lock(index_mutex_);
    segments_.push_back(std::move(segment));
  }
  active_index_ = seg::segment_index{base, seg::segment_header_size, base, {}, {}, {}};
  active_tags_ = seg::segment_tag_index(base);
  active_written_ = seg::segment_header_size;
  {
    std::lock_guard lock(retention_mutex_);
    retention_due_ = true;
  }
  retention_wake_.notify_one();
}

void segment_store::write_manifest_locked() { seg::write_manifest(*fs_, dir_, manifest_); }

void segment_store::seal_active(bool closing) {
  auto& active = *segments_.back();
  active.file->sync();
  active_index_.covered_size = active_written_;
  seg::write_segment_index(*fs_, dir_, active_index_);
  active_index_.ids.clear();
  active_index_.ids.shrink_to_fit();
  // A closing store leaves the active segment without one: it is always read from its frames.
  if (closing) return;
  try {
    if (postings_ready_.load(std::memory_order_relaxed)) {
      active_tags_.covered_size = active_written_;
      seg::write_tag_index(*fs_, dir_, active_tags_);
    } else {
      // One an earlier session left no longer describes the segment; the build writes it anew.
      fs_->remove(dir_ + "/" + seg::tag_index_file_name(active.base));
    }
  } catch (const error& e) {
    // Derived data: the next build of the query index reads the segment instead.
    warn(fmt::format("could not write the tag index of '{}': {}", active.path, e.what()));
  }
}

// ---- Writing --------------------------------------------------------------------------------

append_result segment_store::do_append(std::string_view stream_id, expected_version expected,
                                       std::span<const event_data> events) {
  pending_append p{stream_id, expected, events, {}, {}, false, {}, nullptr, {}, 0};
  return enqueue(p);
}

append_result segment_store::do_append_recorded(std::span<const recorded_event> recorded) {
  std::vector<event_data> events;
  events.reserve(recorded.size());
  for (const auto& r : recorded) {
    events.push_back({r.id, r.type, r.payload, r.encoding, r.metadata, r.type_version, r.tags});
  }
  const recorded_event& first = recorded.front();
  auto timestamp_us =
      std::chrono::duration_cast<std::chrono::microseconds>(first.timestamp.time_since_epoch());
  pending_append p{first.stream_id,
                   expected_version::exact(first.stream_version - 1),
                   events,
                   {},
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
  // Without a sync to hash beside, digests cost the appending thread, beside other appends'
  // commits, not the group's writer.
  if (p.recorded.empty() && options_.durability != durability_mode::sync_each_batch &&
      !hooks_.without_chain) {
    p.contents = detail::content_digests(events, p.metadata);
  }
  std::unique_lock lock(queue_mutex_);
  queue_.push_back(&p);
  if (hooks_.on_queued) hooks_.on_queued();
  group_done_.wait(lock, [&] { return p.done || queue_.front() == &p; });
  if (!p.done) {
    // At the front: write this append and what is queued behind it, as one group.
    auto length = static_cast<std::ptrdiff_t>(
        detail::group_length(queue_, {}, [](const pending_append* q) { return q->events; }));
    std::vector<pending_append*> group(queue_.begin(), queue_.begin() + length);
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

append_result segment_store::do_append_conditional(std::string_view stream_id,
                                                   expected_version expected,
                                                   std::span<const event_data> events,
                                                   const append_condition& condition) {
  pending_append p{stream_id, expected, events, {}, {}, false, {}, nullptr, {}, 0, &condition};
  return enqueue(p);
}

void segment_store::commit_group(std::vector<pending_append*>& group) {
  if (hooks_.before_group) hooks_.before_group(group.size());
  std::lock_guard gate(writer_gate_);
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
      if (p->condition != nullptr) build_postings_locked();
      plan_append(*p, plan);
    } catch (...) {
      p->error = std::current_exception();
    }
  }
  if (plan.batches.empty()) return;
  std::vector<seg::batch_to_link> to_link;
  to_link.reserve(plan.batches.size());
  for (const auto& b : plan.batches) {
    to_link.push_back({b.append->stream_id, b.first_position, b.first_version, b.timestamp_us,
                       b.append->events, b.append->metadata, b.append->contents});
  }
  // A durable group's links are hashed beside its write and sync; the next group's first frame
  // stores them (segment_format.hpp, frame_type_batch_with_links).
  bool beside_sync = hasher_ != nullptr;
  if (hooks_.without_chain) {
    to_link.clear();
    beside_sync = false;
  }
  if (beside_sync) hasher_->start(last_link_, to_link);
  std::vector<detail::sha256_digest> links;
  try {
    try {
      write_plan(plan);
    } catch (...) {
      // The hasher reads the group's appends, which the error ends; the write's error is the one
      // to report.
      if (beside_sync) {
        try {
          hasher_->wait();
        } catch (...) {
        }
      }
      throw;
    }
    links = beside_sync ? hasher_->wait() : seg::link_batches(last_link_, to_link);
    links.resize(plan.batches.size());  // zeros without the chain
  } catch (const std::exception& e) {
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
  last_link_ = links.back();
  unstored_links_ = std::move(links);
  first_unlinked_.store(plan.batches.front().first_position);
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
  // The id of an event retention deleted stays taken until the store is reopened (which forgets
  // it), but its stream and version are gone with its segment: the append is refused.
  auto refuse_deleted = [&] {
    throw invalid_argument(fmt::format(
        "event id {} belongs to the event at position {}, which segment retention deleted; an "
        "event with a new id is needed",
        id.to_string(), *position));
  };
  if (*position < log_start_.load()) refuse_deleted();
  if (*position < cache.first_position || *position >= cache.first_position + cache.count) {
    auto at = do_read_all(*position, 1, {}).events;
    // Retention may delete the segment meanwhile: the read then starts after it, or finds none.
    if (*position < log_start_.load()) refuse_deleted();
    if (at.empty() || at[0].position != *position) {
      throw corruption(dir_, -1, "an indexed event id has no event");
    }
    // Retention and scavenges change stream batches under the index's lock.
    std::shared_lock lock(index_mutex_);
    const auto& batches = streams_.at(at[0].stream_id).batches;
    auto batch = std::partition_point(batches.begin(), batches.end(), [&](const stream_batch& b) {
      return b.first_version + b.count - 1 < at[0].stream_version;
    });
    if (batch == batches.end() || batch->first_position > *position) refuse_deleted();
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
  bool tombstoned = false;
  if (auto tentative = plan.streams.find(stream); tentative != plan.streams.end()) {
    current = tentative->second.version;
    tombstoned = tentative->second.tombstoned;
  } else if (auto committed = streams_.find(stream); committed != streams_.end()) {
    current = committed->second.version;
    tombstoned = committed->second.tombstoned;
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
  auto probe = [&](const query& q, std::uint64_t after) {
    // The writer publishes nothing while it decides: the committed log ends at the head.
    std::uint64_t committed = head_.load();
    std::vector<detail::accepted_batch> group;
    for (const auto& b : plan.batches) {
      group.push_back({b.append->stream_id, b.first_position, b.append->events});
    }
    return detail::first_condition_match(
        q, after, committed, log_start_.load(),
        [&](const query& cq, std::uint64_t from) { return committed_match(cq, from, committed); },
        group);
  };
  auto decision =
      recorded ? detail::decide_recorded_append(p.recorded, plan.next_position - 1, current,
                                                tombstoned, lookup)
      : p.condition != nullptr
          ? detail::decide_conditional_append(p.stream_id, p.expected, events, current, tombstoned,
                                              lookup, *p.condition, plan.next_position - 1, probe)
          : detail::decide_append(p.stream_id, p.expected, events, current, tombstoned, lookup);
  if (recorded) {
    detail::enforce(decision, p.recorded);
  } else {
    detail::enforce(decision, p.stream_id, p.expected, events,
                    p.condition != nullptr ? p.condition->after : 0);
  }
  if (decision.outcome == detail::append_decision::verdict::retry) {
    p.result = decision.stored;
    if (in_group) plan.group_retries.push_back(&p);
    return;
  }
  if (recorded) {
    // Computed here, where an event that cannot be linked refuses its append alone.
    p.contents.clear();
    for (const auto& e : p.recorded) p.contents.push_back(detail::stored_content_digest(e));
  }
  // The group's first frame stores the links of the batches written before it that no frame
  // stores yet.
  seg::frame_trailer trailer;
  if (plan.batches.empty()) trailer.earlier_links = unstored_links_;
  seg::frame_layout layout = seg::layout_batch_frame(p.stream_id, events, p.metadata, trailer);
  std::size_t frame_size = layout.size;
  // The batch's own bytes against a limit that leaves room for the most links a frame carries
  // (a whole group's), so that whether a batch fits does not depend on the group before it.
  constexpr std::size_t batch_limit =
      seg::max_frame_body - (detail::group_limits{}.max_events * seg::link_size + 4);
  std::size_t batch_size = frame_size - seg::frame_header_size - trailer.size();
  if (batch_size > batch_limit) {
    throw invalid_argument(fmt::format(
        "the batch encodes to {} bytes; the segment backend's limit is {} bytes per batch",
        batch_size, batch_limit));
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
  std::int64_t timestamp_us = recorded ? p.timestamp_us : plan.timestamp_us;
  std::size_t chunk_offset = plan.chunks.back().bytes.size();
  seg::encode_batch_frame(plan.chunks.back().bytes, layout, p.stream_id, plan.next_position,
                          current + 1, timestamp_us, events, p.metadata, trailer);
  plan.segment_size += frame_size;
  std::size_t index = plan.batches.size();
  plan.batches.push_back({&p,
                          plan.chunks.size() - 1,
                          offset,
                          plan.next_position,
                          current + 1,
                          0,
                          chunk_offset,
                          timestamp_us,
                          {}});
  if (plan.track_ids) {
    for (std::uint32_t i = 0; i < events.size(); ++i) plan.ids[events[i].id] = {index, i};
  }
  plan.streams[stream] = {current + events.size(), detail::ends_in_tombstone(events)};
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
                                       b.offset, detail::ends_in_tombstone(events)});
      seg::add_sparse(active_index_.sparse, b.first_position, b.offset);
      if (postings_ready_.load(std::memory_order_relaxed)) {
        // Parsed here, not under the index's lock at publication.
        auto batch =
            seg::parse_encoded_frame(chunk.bytes.view().substr(b.chunk_offset), active.path);
        b.tags = seg::segment_tag_index(b.first_position);
        b.tags.add_batch(batch, b.offset);
        active_tags_.append(b.tags);
      }
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
      index_batch(b.segment_number,
                  {std::string(b.append->stream_id), b.first_version, b.first_position, count,
                   b.offset, detail::ends_in_tombstone(events)},
                  b.timestamp_us);
      for (std::size_t i = 0; i < events.size(); ++i) {
        ids_.insert(events[i].id, b.first_position + i);
      }
      if (postings_ready_.load(std::memory_order_relaxed)) b.tags.load_into(postings_);
      auto& segment = *segments_[b.segment_number];
      seg::add_sparse(segment.sparse, b.first_position, b.offset);
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

}  // namespace annal
