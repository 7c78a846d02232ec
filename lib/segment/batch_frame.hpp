// Encoding an append batch as one frame, and parsing a frame body back (format:
// segment_format.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "annal/event.hpp"
#include "core/sha256.hpp"
#include "segment/byte_io.hpp"
#include "segment/segment_format.hpp"

namespace annal::segment {

/// One event inside a parsed batch; views into the frame body.
struct event_view {
  uuid id;
  payload_encoding encoding;
  std::string_view type;
  std::string_view metadata;
  std::string_view payload;
  std::uint32_t type_version = 1;
  /// The event's tags as stored (each a varint length and its bytes), `tag_count` of them; empty
  /// when it has none. for_each_tag() and tags_of() read them.
  std::string_view tags;
  std::uint32_t tag_count = 0;
  /// The event's whole encoding: a view into the batch body.
  std::string_view raw;
};

/// Calls `fn(std::string_view tag)` for each tag of `e`, in their stored (ascending) order. The
/// decoder validated them.
template <class Fn>
void for_each_tag(const event_view& e, Fn&& fn) {
  byte_reader r(e.tags);
  for (std::uint32_t i = 0; i < e.tag_count; ++i) fn(r.bytes(r.varint()));
}

/// The tags of `e` as event_data and recorded_event hold them.
std::vector<std::string> tags_of(const event_view& e);

/// How a batch will be encoded: the frame's size and where each event's type name comes from.
struct frame_layout {
  /// The whole frame's size, header included.
  std::size_t size = 0;
  /// Per event: 0 when its type is written inline, k when it is entry k - 1 of the batch's type
  /// table (see segment_format.hpp).
  std::vector<std::uint8_t> type_refs;
};

/// What a batch frame holds after its batch body, by frame type (segment_format.hpp): nothing
/// (frame_type_batch, segments before format 3), the batch's own link (frame_type_linked_batch,
/// formats 3 and 4), or the links of the batches just before it (frame_type_batch_with_links,
/// format 5, the only one written).
struct frame_trailer {
  std::uint8_t type = frame_type_batch_with_links;
  /// frame_type_linked_batch: the batch's link.
  detail::sha256_digest link{};
  /// frame_type_batch_with_links: the links of the batches just before this one, in log order.
  std::vector<detail::sha256_digest> earlier_links;

  /// The trailer's size in the frame's body.
  std::size_t size() const noexcept;
};

/// Lays out the frame of a batch. `metadata[i]` is the encoded metadata of `events[i]`; an empty
/// `metadata` means no event has any. The frame ends with `trailer`.
frame_layout layout_batch_frame(std::string_view stream_id, std::span<const event_data> events,
                                std::span<const std::string> metadata,
                                const frame_trailer& trailer);

/// Appends the complete frame (header, CRC) of a batch laid out by layout_batch_frame() with the
/// same `trailer` to `out`.
void encode_batch_frame(byte_buffer& out, const frame_layout& layout, std::string_view stream_id,
                        std::uint64_t first_position, std::uint64_t first_version,
                        std::int64_t timestamp_us, std::span<const event_data> events,
                        std::span<const std::string> metadata, const frame_trailer& trailer);

/// Decodes the events region of a batch body in order, keeping the batch's type table.
class event_decoder {
 public:
  explicit event_decoder(std::string_view events) noexcept : in_(events) {}
  /// Decodes events cut out of their batch (event_view::raw, one at a time): an event whose type
  /// refers to the batch's type table has `referenced_type`, which the caller knows.
  event_decoder(std::string_view events, std::string_view referenced_type) noexcept
      : in_(events), referenced_type_(referenced_type) {}
  /// Decodes the next event; false, with `reason` set, when it is malformed.
  bool next(event_view& out, std::string& reason);
  std::size_t remaining() const noexcept { return in_.remaining(); }

 private:
  bool read_tags(event_view& out, std::string& reason);
  byte_reader in_;
  std::array<std::string_view, max_batch_types> types_{};
  std::size_t type_count_ = 0;
  std::string_view referenced_type_;
};

/// A parsed batch frame body. Holds views into the body, which must outlive it.
class batch_view {
 public:
  /// Parses and fully validates a batch body; nullopt when it is malformed, with `reason` set.
  static std::optional<batch_view> parse(std::string_view body, std::string& reason);
  /// Parses the body of a frame of type `type` (is_batch_frame_type()): a batch body and the
  /// frame's trailer.
  static std::optional<batch_view> parse_frame(std::uint8_t type, std::string_view body,
                                               std::string& reason);

  std::uint64_t first_position() const noexcept { return first_position_; }
  std::uint64_t last_position() const noexcept { return first_position_ + count_ - 1; }
  std::uint64_t first_version() const noexcept { return first_version_; }
  std::int64_t timestamp_us() const noexcept { return timestamp_us_; }
  std::uint32_t count() const noexcept { return count_; }
  std::string_view stream_id() const noexcept { return stream_id_; }
  /// The batch's link of the hash chain, when its frame holds it (formats 3 and 4).
  const std::optional<detail::sha256_digest>& link() const noexcept { return link_; }
  /// The frame's type: which trailer follows the batch body.
  std::uint8_t frame_type() const noexcept { return frame_type_; }
  /// frame_type_batch_with_links: how many links of earlier batches the frame carries.
  std::uint32_t earlier_link_count() const noexcept {
    return static_cast<std::uint32_t>(earlier_links_.size() / link_size);
  }
  /// frame_type_batch_with_links: link `i` (< earlier_link_count()) of the carried ones, in log
  /// order: the last is the link of the batch just before this one.
  detail::sha256_digest earlier_link(std::uint32_t i) const noexcept;
  /// The frame's trailer, to write the batch again in a frame of the same kind.
  frame_trailer trailer() const;
  /// The batch body the view was parsed from (without a linked frame's link): event_view::raw of
  /// its events lies inside it.
  std::string_view body() const noexcept { return body_; }

  /// Calls `fn(index, const event_view&)` for each event in order.
  template <class Fn>
  void for_each(Fn&& fn) const {
    event_decoder decoder(events_);
    event_view e;
    std::string unused;
    for (std::uint32_t i = 0; i < count_; ++i) {
      decoder.next(e, unused);  // parse() validated every event
      fn(i, e);
    }
  }

 private:
  batch_view() = default;
  std::uint64_t first_position_ = 0;
  std::uint64_t first_version_ = 0;
  std::int64_t timestamp_us_ = 0;
  std::uint32_t count_ = 0;
  std::string_view stream_id_;
  std::string_view body_;
  std::string_view events_;
  std::optional<detail::sha256_digest> link_;
  std::uint8_t frame_type_ = frame_type_batch;
  std::string_view earlier_links_;
};

/// Parses the whole frame at the start of `frame`, header and body, without checking its CRC: for
/// frames the store encoded itself. Throws annal::corruption naming `path` when malformed.
batch_view parse_encoded_frame(std::string_view frame, const std::string& path);

/// Event `index` of `batch`, which `e` decoded, as a recorded_event. Throws annal::corruption
/// naming `path` for malformed metadata.
recorded_event recorded_of(const batch_view& batch, std::uint32_t index, const event_view& e,
                           const std::string& path);

/// The CRC32C a frame header stores for `length`, `type` and `body`.
std::uint32_t frame_crc(std::uint32_t body_length, std::uint8_t type, std::string_view body);

}  // namespace annal::segment
