// The batch frame: one append batch, CRC-protected, as laid out in docs/storage-format.md.
#include "segment/batch_frame.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstring>

#include "annal/error.hpp"
#include "annal/query.hpp"
#include "core/crc32c.hpp"
#include "core/metadata_json.hpp"
#include "core/type_version.hpp"

namespace annal::segment {
namespace {

// Writes little-endian fields into a buffer already sized for them.
class frame_writer {
 public:
  explicit frame_writer(char* at) noexcept : at_(at) {}
  template <class T>
  void put(T v) noexcept {
    for (std::size_t i = 0; i < sizeof(T); ++i) at_[i] = static_cast<char>(v >> (8 * i));
    at_ += sizeof(T);
  }
  void varint(std::uint32_t v) noexcept { at_ = put_varint(at_, v); }
  void bytes(const void* data, std::size_t size) noexcept {
    // An empty string_view may hold a null pointer, which memcpy must not get even for 0 bytes.
    if (size != 0) std::memcpy(at_, data, size);
    at_ += size;
  }

 private:
  char* at_;
};

std::string_view metadata_of(std::span<const std::string> metadata, std::size_t i) noexcept {
  return metadata.empty() ? std::string_view{} : std::string_view(metadata[i]);
}

}  // namespace

std::uint32_t frame_crc(std::uint32_t body_length, std::uint8_t type, std::string_view body) {
  std::array<char, 5> head;
  for (int i = 0; i < 4; ++i) head[i] = static_cast<char>(body_length >> (8 * i));
  head[4] = static_cast<char>(type);
  std::uint32_t crc = detail::crc32c(as_bytes({head.data(), head.size()}));
  return detail::crc32c(as_bytes(body), crc);
}

std::size_t frame_trailer::size() const noexcept {
  if (type == frame_type_linked_batch) return link_size;
  if (type == frame_type_batch_with_links) return earlier_links.size() * link_size + 4;
  return 0;
}

frame_layout layout_batch_frame(std::string_view stream_id, std::span<const event_data> events,
                                std::span<const std::string> metadata,
                                const frame_trailer& trailer) {
  frame_layout layout;
  layout.type_refs.resize(events.size());
  std::array<std::string_view, max_batch_types> table;
  std::size_t table_size = 0;
  std::size_t size = frame_header_size + batch_fixed_size + stream_id.size();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const event_data& e = events[i];
    std::uint8_t ref = 0;
    for (std::size_t k = 0; k < table_size; ++k) {
      if (table[k] == e.type) {
        ref = static_cast<std::uint8_t>(k + 1);
        break;
      }
    }
    layout.type_refs[i] = ref;
    size += 16 + 1 + 1;  // id, encoding, type reference (at most 64: one varint byte)
    if (e.type_version != 1) size += varint_size(e.type_version);
    if (!e.tags.empty()) {
      size += varint_size(static_cast<std::uint32_t>(e.tags.size()));
      for (const auto& tag : e.tags) {
        size += varint_size(static_cast<std::uint32_t>(tag.size())) + tag.size();
      }
    }
    if (ref == 0) {
      size += varint_size(static_cast<std::uint32_t>(e.type.size())) + e.type.size();
      if (table_size < max_batch_types) table[table_size++] = e.type;
    }
    auto md = static_cast<std::uint32_t>(metadata_of(metadata, i).size());
    auto payload = static_cast<std::uint32_t>(e.payload.size());
    size += varint_size(md) + md + varint_size(payload) + payload;
  }
  layout.size = size + trailer.size();
  return layout;
}

void encode_batch_frame(byte_buffer& out, const frame_layout& layout, std::string_view stream_id,
                        std::uint64_t first_position, std::uint64_t first_version,
                        std::int64_t timestamp_us, std::span<const event_data> events,
                        std::span<const std::string> metadata, const frame_trailer& trailer) {
  char* frame = out.extend(layout.size);
  frame_writer w(frame + frame_header_size);
  w.put(first_position);
  w.put(first_version);
  w.put(static_cast<std::uint64_t>(timestamp_us));
  w.put(static_cast<std::uint32_t>(events.size()));
  w.put(static_cast<std::uint16_t>(stream_id.size()));
  w.bytes(stream_id.data(), stream_id.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    const event_data& e = events[i];
    std::string_view md = metadata_of(metadata, i);
    w.bytes(e.id.bytes().data(), 16);
    auto encoding = static_cast<std::uint8_t>(e.encoding);
    if (e.type_version != 1) encoding |= encoding_type_version_flag;
    if (!e.tags.empty()) encoding |= encoding_tags_flag;
    w.put(encoding);
    if (e.type_version != 1) w.varint(e.type_version);
    if (!e.tags.empty()) {
      w.varint(static_cast<std::uint32_t>(e.tags.size()));
      for (const auto& tag : e.tags) {
        w.varint(static_cast<std::uint32_t>(tag.size()));
        w.bytes(tag.data(), tag.size());
      }
    }
    w.varint(layout.type_refs[i]);
    if (layout.type_refs[i] == 0) {
      w.varint(static_cast<std::uint32_t>(e.type.size()));
      w.bytes(e.type.data(), e.type.size());
    }
    w.varint(static_cast<std::uint32_t>(md.size()));
    w.bytes(md.data(), md.size());
    w.varint(static_cast<std::uint32_t>(e.payload.size()));
    w.bytes(e.payload.data(), e.payload.size());
  }
  std::uint8_t type = trailer.type;
  if (type == frame_type_linked_batch) {
    w.bytes(trailer.link.data(), trailer.link.size());
  } else if (type == frame_type_batch_with_links) {
    for (const auto& link : trailer.earlier_links) w.bytes(link.data(), link.size());
    w.put(static_cast<std::uint32_t>(trailer.earlier_links.size()));
  }
  auto body_length = static_cast<std::uint32_t>(layout.size - frame_header_size);
  frame_writer h(frame);
  h.put(frame_crc(body_length, type, {frame + frame_header_size, body_length}));
  h.put(body_length);
  h.put(type);
}

batch_view parse_encoded_frame(std::string_view frame, const std::string& path) {
  byte_reader r(frame);
  r.u32();
  std::uint32_t length = r.u32();
  std::uint8_t type = r.u8();
  std::string reason = r.failed() ? "the frame header is truncated" : "";
  std::optional<batch_view> batch;
  if (!r.failed() && length <= r.remaining()) {
    batch = batch_view::parse_frame(type, frame.substr(frame_header_size, length), reason);
  }
  if (!batch) throw corruption(path, -1, "a frame the store encoded does not parse: " + reason);
  return *batch;
}

recorded_event recorded_of(const batch_view& batch, std::uint32_t index, const event_view& e,
                           const std::string& path) {
  recorded_event r;
  r.position = batch.first_position() + index;
  r.stream_id = std::string(batch.stream_id());
  r.stream_version = batch.first_version() + index;
  r.type = std::string(e.type);
  r.id = e.id;
  r.timestamp =
      std::chrono::system_clock::time_point(std::chrono::microseconds(batch.timestamp_us()));
  r.metadata = detail::decode_metadata(e.metadata, path);
  r.payload = std::string(e.payload);
  r.encoding = e.encoding;
  r.type_version = e.type_version;
  r.tags = tags_of(e);
  return r;
}

std::vector<std::string> tags_of(const event_view& e) {
  std::vector<std::string> tags;
  tags.reserve(e.tag_count);
  for_each_tag(e, [&](std::string_view tag) { tags.emplace_back(tag); });
  return tags;
}

// Reads the tags of an event whose encoding byte has encoding_tags_flag, checking the rules the
// writer keeps: 1 to max_tags_per_event tags, each 1 to max_tag_size bytes, strictly ascending.
bool event_decoder::read_tags(event_view& out, std::string& reason) {
  std::uint32_t count = in_.varint();
  if (in_.failed()) return true;  // next() reports the truncation
  if (count == 0 || count > max_tags_per_event) {
    reason = fmt::format("{} tags, not 1 to {}", count, max_tags_per_event);
    return false;
  }
  std::size_t first_tag = in_.offset();
  std::string_view previous;
  for (std::uint32_t i = 0; i < count; ++i) {
    std::string_view tag = in_.bytes(in_.varint());
    if (in_.failed()) return true;
    if (tag.empty() || tag.size() > max_tag_size || (i > 0 && tag <= previous)) {
      reason =
          fmt::format("tag {} is empty, longer than {} bytes or out of order", i, max_tag_size);
      return false;
    }
    previous = tag;
  }
  out.tags = in_.read_since(first_tag);
  out.tag_count = count;
  return true;
}

bool event_decoder::next(event_view& out, std::string& reason) {
  std::size_t start = in_.offset();
  std::string_view id = in_.bytes(16);
  std::uint8_t encoding = in_.u8();
  std::uint32_t type_version = 1;
  if ((encoding & encoding_type_version_flag) != 0) {
    encoding = static_cast<std::uint8_t>(encoding & ~encoding_type_version_flag);
    type_version = in_.varint();
    // Version 1 is the flag's absence: a flagged 1 would give one event two encodings.
    if (!in_.failed() && (type_version == 1 || !detail::is_valid_type_version(type_version))) {
      reason = fmt::format("type version {} is outside 2 to {}", type_version, max_type_version);
      return false;
    }
  }
  out.tags = {};
  out.tag_count = 0;
  if ((encoding & encoding_tags_flag) != 0) {
    encoding = static_cast<std::uint8_t>(encoding & ~encoding_tags_flag);
    if (!read_tags(out, reason)) return false;
  }
  std::uint32_t ref = in_.varint();
  std::string_view type;
  if (ref == 0) {
    type = in_.bytes(in_.varint());
    if (!in_.failed() && type_count_ < max_batch_types) types_[type_count_++] = type;
  } else if (ref <= type_count_) {
    type = types_[ref - 1];
  } else if (!referenced_type_.empty()) {
    type = referenced_type_;
  } else {
    reason = fmt::format("type reference {} past the batch's {} types", ref, type_count_);
    return false;
  }
  out.metadata = in_.bytes(in_.varint());
  out.payload = in_.bytes(in_.varint());
  if (in_.failed()) {
    reason = "event is truncated";
    return false;
  }
  if (type.empty() || (encoding != static_cast<std::uint8_t>(payload_encoding::json) &&
                       encoding != static_cast<std::uint8_t>(payload_encoding::binary))) {
    reason = "event has an empty type or an invalid encoding";
    return false;
  }
  std::array<std::uint8_t, 16> bytes;
  std::memcpy(bytes.data(), id.data(), 16);
  out.id = uuid(bytes);
  out.encoding = static_cast<payload_encoding>(encoding);
  out.type = type;
  out.type_version = type_version;
  out.raw = in_.read_since(start);
  return true;
}

std::optional<batch_view> batch_view::parse_frame(std::uint8_t type, std::string_view body,
                                                  std::string& reason) {
  if (type == frame_type_batch_with_links) {
    if (body.size() < 4) {
      reason = "batch frame is shorter than its count of links";
      return std::nullopt;
    }
    byte_reader count_reader(body.substr(body.size() - 4));
    std::uint64_t count = count_reader.u32();
    if (count * link_size > body.size() - 4) {
      reason = fmt::format("batch frame is shorter than the {} links it says it carries", count);
      return std::nullopt;
    }
    std::size_t links_at = body.size() - 4 - count * link_size;
    auto batch = parse(body.substr(0, links_at), reason);
    if (batch) {
      batch->frame_type_ = type;
      batch->earlier_links_ = body.substr(links_at, count * link_size);
    }
    return batch;
  }
  if (type != frame_type_linked_batch) return parse(body, reason);
  if (body.size() < link_size) {
    reason = "linked batch frame is shorter than its link";
    return std::nullopt;
  }
  auto batch = parse(body.substr(0, body.size() - link_size), reason);
  if (batch) {
    detail::sha256_digest link;
    std::memcpy(link.data(), body.data() + body.size() - link_size, link_size);
    batch->link_ = link;
    batch->frame_type_ = type;
  }
  return batch;
}

detail::sha256_digest batch_view::earlier_link(std::uint32_t i) const noexcept {
  detail::sha256_digest link;
  std::memcpy(link.data(), earlier_links_.data() + std::size_t{i} * link_size, link_size);
  return link;
}

frame_trailer batch_view::trailer() const {
  frame_trailer trailer;
  trailer.type = frame_type_;
  if (link_) trailer.link = *link_;
  for (std::uint32_t i = 0; i < earlier_link_count(); ++i) {
    trailer.earlier_links.push_back(earlier_link(i));
  }
  return trailer;
}

std::optional<batch_view> batch_view::parse(std::string_view body, std::string& reason) {
  byte_reader r(body);
  batch_view b;
  b.first_position_ = r.u64();
  b.first_version_ = r.u64();
  b.timestamp_us_ = static_cast<std::int64_t>(r.u64());
  b.count_ = r.u32();
  b.stream_id_ = r.bytes(r.u16());
  if (r.failed()) {
    reason = "batch header is truncated";
    return std::nullopt;
  }
  if (b.count_ == 0 || b.first_position_ == 0 || b.first_version_ == 0 || b.stream_id_.empty()) {
    reason = fmt::format("batch header is invalid (position {}, version {}, {} events)",
                         b.first_position_, b.first_version_, b.count_);
    return std::nullopt;
  }
  // A timestamp system_clock cannot hold would overflow when read (found by fuzz_segment).
  constexpr auto max_us = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::system_clock::duration::max())
                              .count();
  if (b.timestamp_us_ > max_us || b.timestamp_us_ < -max_us) {
    reason = fmt::format("batch timestamp {} us is out of range", b.timestamp_us_);
    return std::nullopt;
  }
  b.body_ = body;
  b.events_ = body.substr(r.offset());
  event_decoder decoder(b.events_);
  event_view e;
  for (std::uint32_t i = 0; i < b.count_; ++i) {
    if (!decoder.next(e, reason)) {
      reason = fmt::format("event {} of the batch: {}", i, reason);
      return std::nullopt;
    }
  }
  if (decoder.remaining() != 0) {
    reason = fmt::format("{} unexpected bytes after the batch's events", decoder.remaining());
    return std::nullopt;
  }
  return b;
}

}  // namespace annal::segment
