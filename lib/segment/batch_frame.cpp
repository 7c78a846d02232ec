// The batch frame: one append batch, CRC-protected, as laid out in docs/storage-format.md.
#include "segment/batch_frame.hpp"

#include <array>
#include <cstring>

#include <fmt/format.h>

#include "core/crc32c.hpp"
#include "segment/byte_io.hpp"
#include "segment/segment_format.hpp"

namespace annal::segment {

std::size_t batch_frame_size(std::string_view stream_id, std::span<const event_data> events,
                             std::span<const std::string> metadata) {
  std::size_t size = frame_header_size + batch_fixed_size + stream_id.size();
  for (std::size_t i = 0; i < events.size(); ++i) {
    size += 16 + 1 + 2 + events[i].type.size() + 4 + (metadata.empty() ? 0 : metadata[i].size()) + 4 +
            events[i].payload.size();
  }
  return size;
}

std::uint32_t frame_crc(std::uint32_t body_length, std::uint8_t type, std::string_view body) {
  std::array<char, 5> head;
  for (int i = 0; i < 4; ++i) head[i] = static_cast<char>(body_length >> (8 * i));
  head[4] = static_cast<char>(type);
  std::uint32_t crc = detail::crc32c(as_bytes({head.data(), head.size()}));
  return detail::crc32c(as_bytes(body), crc);
}

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
  void bytes(const void* data, std::size_t size) noexcept {
    std::memcpy(at_, data, size);
    at_ += size;
  }
  char* at() const noexcept { return at_; }

 private:
  char* at_;
};

}  // namespace

void encode_batch_frame(std::string& out, std::string_view stream_id, std::uint64_t first_position,
                        std::uint64_t first_version, std::int64_t timestamp_us,
                        std::span<const event_data> events, std::span<const std::string> metadata) {
  std::size_t frame_size = batch_frame_size(stream_id, events, metadata);
  std::size_t frame_start = out.size();
  out.resize(frame_start + frame_size);
  char* frame = out.data() + frame_start;
  frame_writer w(frame + frame_header_size);
  w.put(first_position);
  w.put(first_version);
  w.put(static_cast<std::uint64_t>(timestamp_us));
  w.put(static_cast<std::uint32_t>(events.size()));
  w.put(static_cast<std::uint16_t>(stream_id.size()));
  w.bytes(stream_id.data(), stream_id.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    const event_data& e = events[i];
    std::string_view md = metadata.empty() ? std::string_view{} : std::string_view(metadata[i]);
    w.bytes(e.id.bytes().data(), 16);
    w.put(static_cast<std::uint8_t>(e.encoding));
    w.put(static_cast<std::uint16_t>(e.type.size()));
    w.bytes(e.type.data(), e.type.size());
    w.put(static_cast<std::uint32_t>(md.size()));
    w.bytes(md.data(), md.size());
    w.put(static_cast<std::uint32_t>(e.payload.size()));
    w.bytes(e.payload.data(), e.payload.size());
  }
  auto body_length = static_cast<std::uint32_t>(frame_size - frame_header_size);
  frame_writer h(frame);
  h.put(frame_crc(body_length, frame_type_batch, {frame + frame_header_size, body_length}));
  h.put(body_length);
  h.put(frame_type_batch);
}

event_view next_event(std::string_view events, std::size_t& at) {
  byte_reader r(events.substr(at));
  event_view e;
  std::string_view id = r.bytes(16);
  std::array<std::uint8_t, 16> bytes{};
  if (id.size() == 16) std::memcpy(bytes.data(), id.data(), 16);
  e.id = uuid(bytes);
  e.encoding = static_cast<payload_encoding>(r.u8());
  e.type = r.bytes(r.u16());
  e.metadata = r.bytes(r.u32());
  e.payload = r.bytes(r.u32());
  at += r.offset();
  return e;
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
  std::size_t events_start = r.offset();
  for (std::uint32_t i = 0; i < b.count_; ++i) {
    r.bytes(16);
    std::uint8_t encoding = r.u8();
    std::string_view type = r.bytes(r.u16());
    r.bytes(r.u32());
    r.bytes(r.u32());
    if (r.failed()) {
      reason = fmt::format("event {} of the batch is truncated", i);
      return std::nullopt;
    }
    if (type.empty() ||
        (encoding != static_cast<std::uint8_t>(payload_encoding::json) &&
         encoding != static_cast<std::uint8_t>(payload_encoding::binary))) {
      reason = fmt::format("event {} of the batch has an invalid type or encoding", i);
      return std::nullopt;
    }
  }
  if (r.remaining() != 0) {
    reason = fmt::format("{} unexpected bytes after the batch's events", r.remaining());
    return std::nullopt;
  }
  b.events_ = body.substr(events_start);
  return b;
}

}  // namespace annal::segment
