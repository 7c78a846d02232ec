// The segment log's hash chain: links read from linked batch frames, and the last link at open.
#include <fmt/format.h>

#include "annal/error.hpp"
#include "core/batch_chain.hpp"
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
  std::uint64_t head;
  scan_batches(from_position, head, [&](const seg::batch_view& batch, const segment_file& segment) {
    if (batch.first_position() < from_position) return true;
    links.push_back({batch.first_position(), batch.last_position(), batch.link(), segment.path});
    return links.size() < max_count;
  });
  return links;
}

detail::sha256_digest segment_store::link_at_open() {
  std::uint64_t head = head_.load();
  if (head == 0) return detail::chain_start;
  std::optional<detail::sha256_digest> last;
  std::uint64_t from = head;
  scan_batches(from, head, [&](const seg::batch_view& batch, const segment_file&) {
    last = batch.link();
    return false;
  });
  if (last) return *last;
  // Written before links were: the chain over the whole log, computed as check_chain() does.
  detail::sha256_digest link = detail::chain_start;
  std::vector<recorded_event> events;
  from = 1;
  scan_batches(from, head, [&](const seg::batch_view& batch, const segment_file& segment) {
    events.clear();
    batch.for_each([&](std::uint32_t i, const seg::event_view& e) {
      events.push_back(seg::recorded_of(batch, i, e, segment.path));
    });
    link = batch.link() ? *batch.link() : detail::stored_link(link, events);
    return true;
  });
  return link;
}

}  // namespace annal
