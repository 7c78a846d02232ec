// The event digest's byte layout: fixed-width little-endian integers, length-prefixed strings.
#include "core/event_digest.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

#include "core/digest_writer.hpp"
#include "core/metadata_json.hpp"

namespace annal::detail {
namespace {

// The layouts' names and versions, first in every digest, so that a later layout never collides.
constexpr std::string_view event_domain = "annal.event.v1";
constexpr std::string_view content_domain = "annal.content.v1";
// The content of an event with tags: v1's fields, then the tags.
constexpr std::string_view tagged_content_domain = "annal.content.v2";

}  // namespace

sha256_digest content_digest(std::string_view type, std::uint32_t type_version,
                             payload_encoding encoding, std::string_view metadata,
                             std::string_view payload, std::span<const std::string> tags) {
  if (!std::is_sorted(tags.begin(), tags.end())) {
    // Tags are a set, stored sorted: the digest is over the stored order.
    std::vector<std::string> sorted(tags.begin(), tags.end());
    std::sort(sorted.begin(), sorted.end());
    return content_digest(type, type_version, encoding, metadata, payload, sorted);
  }
  sha256_hasher hasher;
  digest_writer w(hasher);
  w.text(tags.empty() ? content_domain : tagged_content_domain);
  w.text(type);
  w.integer(type_version);
  w.integer(static_cast<std::uint8_t>(encoding));
  w.text(metadata);
  if (!tags.empty()) {
    w.integer(static_cast<std::uint32_t>(tags.size()));
    for (const auto& tag : tags) w.text(tag);
  }
  w.bytes(sha256(payload));
  return w.finish();
}

sha256_digest content_digest(const recorded_event& event) {
  return content_digest(event.type, event.type_version, event.encoding,
                        encode_metadata(event.metadata), event.payload, event.tags);
}

sha256_digest event_digest(std::uint64_t position, std::uint64_t stream_version,
                           std::string_view stream_id, const uuid& id, std::int64_t timestamp_us,
                           const sha256_digest& content) noexcept {
  sha256_hasher hasher;
  digest_writer w(hasher);
  w.text(event_domain);
  write_event_fields(w, position, stream_version, stream_id, id, timestamp_us, content);
  return w.finish();
}

void write_event_fields(digest_writer& w, std::uint64_t position, std::uint64_t stream_version,
                        std::string_view stream_id, const uuid& id, std::int64_t timestamp_us,
                        const sha256_digest& content) noexcept {
  w.integer(position);
  w.integer(stream_version);
  w.text(stream_id);
  w.bytes(id.bytes());
  w.integer(timestamp_us);
  w.bytes(content);
}

std::int64_t timestamp_us(const recorded_event& event) noexcept {
  return std::chrono::duration_cast<std::chrono::microseconds>(event.timestamp.time_since_epoch())
      .count();
}

sha256_digest event_digest(const recorded_event& event, const sha256_digest& content) {
  return event_digest(event.position, event.stream_version, event.stream_id, event.id,
                      timestamp_us(event), content);
}

sha256_digest event_digest(const recorded_event& event) {
  return event_digest(event, content_digest(event));
}

}  // namespace annal::detail
