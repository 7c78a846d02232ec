// Encoding an append batch as one frame, and parsing a frame body back (format: segment_format.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "annal/event.hpp"

namespace annal::segment {

/// One event inside a parsed batch; views into the frame body.
struct event_view {
  uuid id;
  payload_encoding encoding;
  std::string_view type;
  std::string_view metadata;
  std::string_view payload;
};

/// The size in bytes of the frame (header included) that encode_batch_frame() would write;
/// `metadata` as for encode_batch_frame().
std::size_t batch_frame_size(std::string_view stream_id, std::span<const event_data> events,
                             std::span<const std::string> metadata);

/// Appends one complete frame (header, CRC) holding the batch to `out`. `metadata[i]` is the
/// encoded metadata of `events[i]`; an empty `metadata` means no event has any.
void encode_batch_frame(std::string& out, std::string_view stream_id, std::uint64_t first_position,
                        std::uint64_t first_version, std::int64_t timestamp_us,
                        std::span<const event_data> events, std::span<const std::string> metadata);

/// A parsed batch frame body. Holds views into the body, which must outlive it.
class batch_view {
 public:
  /// Parses and fully validates a body; nullopt when it is malformed, with `reason` set.
  static std::optional<batch_view> parse(std::string_view body, std::string& reason);

  std::uint64_t first_position() const noexcept { return first_position_; }
  std::uint64_t last_position() const noexcept { return first_position_ + count_ - 1; }
  std::uint64_t first_version() const noexcept { return first_version_; }
  std::int64_t timestamp_us() const noexcept { return timestamp_us_; }
  std::uint32_t count() const noexcept { return count_; }
  std::string_view stream_id() const noexcept { return stream_id_; }

  /// Calls `fn(index, const event_view&)` for each event in order.
  template <class Fn>
  void for_each(Fn&& fn) const;

 private:
  batch_view() = default;
  std::uint64_t first_position_ = 0;
  std::uint64_t first_version_ = 0;
  std::int64_t timestamp_us_ = 0;
  std::uint32_t count_ = 0;
  std::string_view stream_id_;
  std::string_view events_;
};

/// Decodes the event at `index` of a validated events region; advances `at`.
event_view next_event(std::string_view events, std::size_t& at);

template <class Fn>
void batch_view::for_each(Fn&& fn) const {
  std::size_t at = 0;
  for (std::uint32_t i = 0; i < count_; ++i) fn(i, next_event(events_, at));
}

/// The CRC32C a frame header stores for `length`, `type` and `body`.
std::uint32_t frame_crc(std::uint32_t body_length, std::uint8_t type, std::string_view body);

}  // namespace annal::segment
