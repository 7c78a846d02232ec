// The segment log's hash chain: links read from linked batch frames, and the last link at open.
#include <fmt/format.h>

#include "annal/error.hpp"
#include "core/batch_chain.hpp"
#include "core/commit_group.hpp"
#include "segment/frame_scanner.hpp"
#include "segment/segment_store_parts.hpp"

namespace annal {

void segment_store::scan_batches(
    std::uint64_t& from_position, std::uint64_t& head,
    detail::function_ref<bool(const seg::batch_view&, const segment_file&)> visit) {
  auto parts = parts_from(from_position, head);
  for (const auto& part : parts) {
    seg::frame_scanner scanner(*part.segment->file, part.offset, part.size, part.position);
    for (;;) {
      auto f = scanner.next();
      if (f.status == seg::scan_status::end) break;
      if (f.status != seg::scan_status::frame) {
        throw corruption(part.segment->path, static_cast<std::int64_t>(f.offset), f.reason);
      }
      const auto& batch = *f.batch;
      if (batch.first_position() > head) return;
      if (batch.last_position() < from_position) continue;
      if (!visit(batch, *part.segment)) return;
    }
  }
}

std::vector<detail::stored_batch_link> segment_store::read_batch_links(std::uint64_t from_position,
                                                                       std::size_t max_count) {
  std::vector<detail::stored_batch_link> links;
  if (max_count == 0) return links;
  // The batches returned whose link a later frame carries (format 5), in log order.
  std::vector<std::size_t> waiting;
  std::uint64_t head;
  scan_batches(from_position, head, [&](const seg::batch_view& batch, const segment_file& segment) {
    if (std::uint32_t carried = batch.earlier_link_count(); carried != 0) {
      // The links of the batches just before this one; those before `from_position` are not
      // returned.
      std::size_t matched = std::min<std::size_t>(carried, waiting.size());
      for (std::size_t i = 0; i < matched; ++i) {
        auto& linked = links[waiting[waiting.size() - matched + i]];
        linked.link = batch.earlier_link(static_cast<std::uint32_t>(carried - matched + i));
        // A report names the file that holds the link too, when it is another.
        if (linked.file != segment.path) linked.file += ", its link in " + segment.path;
      }
      waiting.clear();
    }
    if (batch.first_position() < from_position) return true;
    if (links.size() < max_count) {
      links.push_back({batch.first_position(), batch.last_position(), batch.link(), segment.path});
      if (batch.frame_type() == seg::frame_type_batch_with_links) {
        waiting.push_back(links.size() - 1);
      }
    }
    // Read on until the frame that carries the links of the batches returned.
    return links.size() < max_count || !waiting.empty();
  });
  for (auto i : waiting) links[i].link_pending = true;
  return links;
}

detail::sha256_digest segment_store::link_at_open() {
  unstored_links_.clear();
  const std::uint64_t head = head_.load();
  first_unlinked_.store(head + 1);
  if (head == 0 || batch_places_.empty()) return detail::chain_start;
  // The last stored link is in the last batch's frame (formats 3 and 4) or in the first frame of
  // the log's last commit group (format 5): scans the last k batches forward for the last one,
  // k growing up to as many batches as a group holds. A log written before links has none (a
  // frame of that format ends the search): the chain starts at the log's start.
  std::optional<detail::sha256_digest> anchor;
  std::uint64_t after = 1;  // the first position whose link is not stored
  bool before_links = false;
  const std::size_t batches = batch_places_.size();
  for (std::size_t k = 1;; k *= 64) {
    k = std::min<std::size_t>({k, batches, detail::group_limits{}.max_events});
    std::uint64_t from = batch_places_[batches - k].first_position;
    std::uint64_t scan_head = head;
    scan_batches(from, scan_head, [&](const seg::batch_view& batch, const segment_file&) {
      if (batch.first_position() < from) return true;
      if (batch.link()) {
        anchor = batch.link();
        after = batch.last_position() + 1;
      } else if (std::uint32_t carried = batch.earlier_link_count(); carried != 0) {
        anchor = batch.earlier_link(carried - 1);
        after = batch.first_position();
      } else if (batch.frame_type() == seg::frame_type_batch) {
        before_links = true;
      }
      return true;
    });
    if (anchor || before_links || k == batches || k == detail::group_limits{}.max_events) break;
  }
  if (!anchor && !before_links && log_start_.load() > 1) {
    // Retention keeps the segment of the last group's first frame; one deleted by hand, or by an
    // annal before it did, leaves the log without the link its rest continues from.
    throw corruption(dir_, -1,
                     "no stored link of the hash chain precedes the log's last batches: the "
                     "segment holding the start of the last commit group is missing");
  }
  first_unlinked_.store(anchor ? after : 1);
  // Links the batches after it from their events: those in format-5 frames are the ones the next
  // append's first frame stores.
  detail::sha256_digest link = anchor ? *anchor : detail::chain_start;
  std::vector<recorded_event> events;
  std::uint64_t scan_head = head;
  scan_batches(after, scan_head, [&](const seg::batch_view& batch, const segment_file& segment) {
    if (batch.first_position() < after) return true;
    events.clear();
    batch.for_each([&](std::uint32_t i, const seg::event_view& e) {
      events.push_back(seg::recorded_of(batch, i, e, segment.path));
    });
    link = batch.link() ? *batch.link() : detail::stored_link(link, events);
    if (batch.frame_type() == seg::frame_type_batch_with_links) unstored_links_.push_back(link);
    return true;
  });
  return link;
}

}  // namespace annal
