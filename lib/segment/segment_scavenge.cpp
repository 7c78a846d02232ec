// The segment backend's scavenge: each sealed segment holding erased events is rewritten whole,
// then replaces the old file atomically while appends and reads go on.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "annal/error.hpp"
#include "core/stream_lifecycle.hpp"
#include "io/replace_file.hpp"
#include "segment/batch_frame.hpp"
#include "segment/frame_scanner.hpp"
#include "segment/segment_header.hpp"
#include "segment/segment_store_parts.hpp"

namespace annal {

std::size_t segment_store::do_erase_events(std::span<const event_erasure> erasures) {
  std::lock_guard scavenging(scavenge_mutex_);
  std::size_t done = 0;
  while (done < erasures.size()) {
    std::shared_ptr<segment_file> segment;
    std::size_t number = 0;
    {
      std::shared_lock lock(index_mutex_);
      auto after = std::upper_bound(segments_.begin(), segments_.end(), erasures[done].position,
                                    [](std::uint64_t p, const auto& s) { return p < s->base; });
      number = static_cast<std::size_t>(after - segments_.begin()) - 1;
      // Sealed: a later segment exists and this one's events are all published. The writer
      // never touches a sealed segment again; the active one is left for a later scavenge, and
      // so is everything after it, since erasures come in position order.
      bool sealed = number + 1 < segments_.size() &&
                    segments_[number]->next_position == segments_[number + 1]->base;
      if (!sealed) break;
      segment = segments_[number];
    }
    auto end = std::partition_point(
        erasures.begin() + static_cast<std::ptrdiff_t>(done), erasures.end(),
        [&](const event_erasure& e) { return e.position < segment->next_position; });
    auto count = static_cast<std::size_t>(end - erasures.begin()) - done;
    // A segment retention deleted since the scavenge read its events has nothing left to erase.
    if (segment->file != nullptr) rewrite_segment(number, *segment, erasures.subspan(done, count));
    done += count;
  }
  return done;
}

// Writes the segment again with the given events erased, frames of other batches copied as they
// are, and swaps it in. The old index file goes first, so that no crash leaves an index that
// describes the other file: a missing index is rebuilt from the segment at the next open.
void segment_store::rewrite_segment(std::size_t number, const segment_file& old,
                                    std::span<const event_erasure> erasures) {
  seg::byte_buffer out;
  std::string header = seg::encode_segment_header(old.base);
  std::memcpy(out.extend(header.size()), header.data(), header.size());
  seg::segment_index index{old.base, 0, old.next_position, {}, {}, {}};
  auto next = erasures.begin();
  std::vector<event_data> events;
  std::vector<std::string> metadata;
  // The tags of the erased events, which the query index forgets.
  std::vector<std::pair<std::uint64_t, std::vector<std::string>>> erased_tags;
  seg::frame_scanner scanner(*old.file, seg::segment_header_size, old.size, old.base);
  for (;;) {
    auto f = scanner.next();
    if (f.status == seg::scan_status::end) break;
    if (f.status != seg::scan_status::frame) {
      throw corruption(old.path, static_cast<std::int64_t>(f.offset),
                       f.reason + " (found by a scavenge, which left the segment as it is)");
    }
    const auto& batch = *f.batch;
    std::uint64_t offset = out.size();
    index.batches.push_back(
        seg::record_of(batch, offset, [&](std::uint32_t i, const seg::event_view& e) {
          index.ids.emplace_back(e.id, batch.first_position() + i);
        }));
    seg::add_sparse(index.sparse, batch.first_position(), offset);
    if (next == erasures.end() || next->position > batch.last_position()) {
      auto* at = reinterpret_cast<std::byte*>(out.extend(f.size));
      if (old.file->read_at(f.offset, {at, f.size}) != f.size) {
        throw corruption(old.path, static_cast<std::int64_t>(f.offset),
                         "a frame ended while a scavenge copied it");
      }
      continue;
    }
    events.clear();
    metadata.clear();
    batch.for_each([&](std::uint32_t i, const seg::event_view& e) {
      if (next != erasures.end() && next->position == batch.first_position() + i) {
        if (e.tag_count > 0) erased_tags.emplace_back(next->position, seg::tags_of(e));
        events.push_back({e.id,
                          std::string(detail::erased_event_type),
                          next->payload,
                          payload_encoding::json,
                          {},
                          1,
                          {}});
        metadata.emplace_back();
        ++next;
      } else {
        events.push_back({e.id,
                          std::string(e.type),
                          std::string(e.payload),
                          e.encoding,
                          {},
                          e.type_version,
                          seg::tags_of(e)});
        metadata.emplace_back(e.metadata);
      }
    });
    // The links stay: an erased event keeps its digest (docs/integrity.md).
    auto trailer = batch.trailer();
    auto layout = seg::layout_batch_frame(batch.stream_id(), events, metadata, trailer);
    seg::encode_batch_frame(out, layout, batch.stream_id(), batch.first_position(),
                            batch.first_version(), batch.timestamp_us(), events, metadata, trailer);
  }
  if (next != erasures.end() || scanner.next_position() != old.next_position) {
    throw corruption(old.path, -1,
                     fmt::format("a scavenge found the segment ending at position {}, not {}, or "
                                 "without the event at position {} to erase",
                                 scanner.next_position() - 1, old.next_position - 1,
                                 next == erasures.end() ? 0 : next->position));
  }
  index.covered_size = out.size();
  // The new segment's tag index, from the frames as written: for the query index, and beside it.
  seg::segment_tag_index tags(old.base);
  for (const auto& b : index.batches) {
    tags.add_batch(seg::parse_encoded_frame(out.view().substr(b.offset), old.path), b.offset);
  }
  tags.covered_size = out.size();

  remove_sidecars(old.dir, old.base);
  fs_->sync_dir(old.dir);
  io::replace_file(*fs_, old.path, old.path + ".tmp", out.view());
  fs_->sync_dir(old.dir);
  auto rewritten = std::make_shared<segment_file>();
  rewritten->base = old.base;
  rewritten->dir = old.dir;
  rewritten->archived = old.archived;
  rewritten->path = old.path;
  rewritten->file = fs_->open(old.path, io::open_mode::read_only);
  rewritten->size = out.size();
  rewritten->next_position = old.next_position;
  rewritten->sparse = index.sparse;
  try {
    seg::write_segment_index(*fs_, old.dir, index);
    if (!old.archived) seg::write_tag_index(*fs_, old.dir, tags);
  } catch (const error& e) {
    // The new segment is in place and the index is derived data: the next open rebuilds it.
    warn(std::string("a scavenge could not write the index of '") + old.path + "': " + e.what());
  }

  // Readers that took the old file before this keep reading it: it stays open until they let go.
  std::unique_lock lock(index_mutex_);
  for (const auto& b : index.batches) {
    auto& batches = streams_.at(b.stream_id).batches;
    auto it = std::partition_point(batches.begin(), batches.end(), [&](const stream_batch& s) {
      return s.first_position < b.first_position;
    });
    it->offset = b.offset;
    auto place = std::partition_point(
        batch_places_.begin(), batch_places_.end(),
        [&](const batch_place& p) { return p.first_position < b.first_position; });
    place->offset = b.offset;
  }
  if (postings_ready_.load()) {
    // The events' bytes moved and the erased ones lost their tags. Their types' positions stay
    // (readers check each event they read).
    for (std::size_t i = 0; i < tags.events.size(); ++i) {
      const auto& spot = tags.events[i];
      postings_.move_event(old.base + i, tags.types[spot.type], spot);
    }
    for (const auto& [position, forgotten] : erased_tags) {
      postings_.forget_tags(position, forgotten);
    }
  }
  segments_[number] = std::move(rewritten);
}

}  // namespace annal
