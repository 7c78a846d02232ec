// Constants of the segment backend's snapshot files; every byte is described in
// docs/storage-format.md ("Segment backend snapshots"). Writer and reader share these.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace annal::segment {

/// Version of the snapshot file format. A file with a newer version is left alone and ignored.
inline constexpr std::uint32_t snapshot_format_version = 1;

/// The folder of snapshot files inside the store's directory.
inline constexpr std::string_view snapshot_dir_name = "snapshots";

/// Snapshot file: "<hash:16 hex>-<version:20 digits>-<fingerprint:16 hex>[-<n>].snap", where
/// hash is the FNV-1a 64 of the stream id and n (1, 2, ...) tells apart streams whose hashes
/// collide. A file being written is "<name>.tmp" until it is renamed.
inline constexpr std::string_view snapshot_suffix = ".snap";
inline constexpr std::string_view snapshot_temporary_suffix = ".tmp";

/// Header: magic[8] | format_version u32 | header_size u32 | stream_id_length u16 | stream_id |
/// version u64 | position u64 | fingerprint u64 | aggregate_type_length u16 | aggregate_type |
/// encoding u8 | taken_us i64 | payload_length u64 | header_crc u32. The header CRC32C covers
/// the header's bytes before it, so opening a store reads headers only. Then the payload, then
/// the file CRC32C of every byte before it (header included).
inline constexpr std::string_view snapshot_magic = "ANNALSNP";
/// magic, format version and header size: enough to know how much header to read.
inline constexpr std::size_t snapshot_prefix_size = 8 + 4 + 4;
/// The header without its two variable-length strings.
inline constexpr std::size_t snapshot_fixed_header_size =
    snapshot_prefix_size + 2 + 8 + 8 + 8 + 2 + 1 + 8 + 8 + 4;
/// Longest aggregate type name a snapshot file holds (its length is a u16).
inline constexpr std::size_t max_snapshot_aggregate_type_size = 0xffff;
/// The file CRC after the payload.
inline constexpr std::size_t snapshot_trailer_size = 4;

}  // namespace annal::segment
