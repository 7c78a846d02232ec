// Constants of the segment backend's on-disk format; every byte is described in
// docs/storage-format.md ("Segment backend"). Reader, writer and recovery share these.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace annal::segment {

/// Version of the segment file format. A segment with a newer version is refused. Version 2
/// added event type versions (the high bit of an event's encoding byte), version 3 linked batch
/// frames (the hash chain), version 4 event tags (encoding_tags_flag), version 5 frames that
/// carry the links of the batches before them (frame_type_batch_with_links); an older segment is
/// read as it is, but never written to again (see docs/storage-format.md).
inline constexpr std::uint32_t format_version = 5;
/// Version of the index sidecar format. Version 2 added a flags byte to each batch entry (bit 0:
/// the batch ends with a tombstone); a version-1 index is read with no flags set (no version-1
/// store holds a tombstone). An index of another version is rebuilt.
inline constexpr std::uint32_t index_format_version = 2;
/// The flag of an index batch entry whose batch ends with a tombstone.
inline constexpr std::uint8_t batch_flag_tombstone = 1;

/// Segment file: "<20-digit base position>.seg", starting with a 32-byte header:
/// magic[8] | format_version u32 | header_size u32 | base_position u64 | reserved u32 | crc u32
inline constexpr std::string_view segment_magic = "ANNALSEG";
inline constexpr std::size_t segment_header_size = 32;
inline constexpr std::string_view segment_suffix = ".seg";

/// Frame: crc u32 | body_length u32 | frame_type u8 | body[body_length]. The CRC32C covers
/// body_length, frame_type and body (bytes 4 to the end of the frame).
inline constexpr std::size_t frame_header_size = 9;
inline constexpr std::uint8_t frame_type_batch = 1;
/// A batch frame whose body ends with the batch's 32-byte link of the hash chain (format 3).
inline constexpr std::uint8_t frame_type_linked_batch = 2;
/// A batch frame whose body ends with the links of the n batches just before it in the log, in
/// log order, then n as a u32 (format 5): batch body | link[32] * n | n u32. The store writes a
/// commit group's links with the first frame of the next group, so that hashing them runs beside
/// the group's sync instead of before its write; the group's other frames carry n = 0.
inline constexpr std::uint8_t frame_type_batch_with_links = 3;
/// The size of a link of the hash chain in a frame's body.
inline constexpr std::size_t link_size = 32;
/// True for the frame types that hold a batch.
constexpr bool is_batch_frame_type(std::uint8_t type) noexcept {
  return type == frame_type_batch || type == frame_type_linked_batch ||
         type == frame_type_batch_with_links;
}
/// Largest frame body accepted, so a damaged length cannot make a reader allocate gigabytes.
inline constexpr std::uint32_t max_frame_body = 256u << 20;

/// Batch body: first_position u64 | first_version u64 | timestamp_us i64 | event_count u32 |
/// stream_id_length u16 | stream_id | events, each:
/// event_id[16] | encoding u8 | [type_version varint] | [tag_count varint | (tag_length varint |
/// tag) * tag_count] | type_ref varint [type_length varint | type] | metadata_length varint |
/// metadata | payload_length varint | payload
/// Varints are unsigned LEB128. The type version follows only when the encoding byte has
/// encoding_type_version_flag set, and is then 2 or more (no flag means version 1). type_ref 0
/// means the type follows inline and joins the batch's type table (while it has fewer than
/// max_batch_types entries); k means table entry k - 1.
inline constexpr std::size_t batch_fixed_size = 8 + 8 + 8 + 4 + 2;
/// Set in an event's encoding byte when a type version (2 or more) follows it.
inline constexpr std::uint8_t encoding_type_version_flag = 0x80;
/// Set in an event's encoding byte when the event's tags follow (format 4): 1 to
/// annal::max_tags_per_event of them, each 1 to annal::max_tag_size bytes, in strictly ascending
/// byte order.
inline constexpr std::uint8_t encoding_tags_flag = 0x40;
/// The most type names a batch's type table holds.
inline constexpr std::size_t max_batch_types = 64;

/// Index sidecar of a segment: "<20-digit base position>.idx", derived from the segment and
/// rebuilt from it when missing, stale or damaged. See docs/storage-format.md.
inline constexpr std::string_view index_magic = "ANNALIDX";
inline constexpr std::string_view index_suffix = ".idx";
/// Tag index sidecar of a sealed segment: "<20-digit base position>.tix", derived from the
/// segment like the index sidecar (docs/storage-format.md).
inline constexpr std::string_view tag_index_magic = "ANNALTIX";
inline constexpr std::string_view tag_index_suffix = ".tix";
inline constexpr std::uint32_t tag_index_format_version = 1;
/// A sparse index entry is recorded for the first frame at or after every this many bytes.
inline constexpr std::uint64_t sparse_index_interval = 4096;

/// The directory's lock file, held by the process that has the store open.
inline constexpr std::string_view lock_file_name = "LOCK";

}  // namespace annal::segment
