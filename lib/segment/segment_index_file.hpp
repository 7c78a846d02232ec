// The index sidecar of a segment: what the segment holds, so opening a store need not scan it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "annal/uuid.hpp"
#include "core/stream_lifecycle.hpp"
#include "io/file_system.hpp"
#include "segment/batch_frame.hpp"
#include "segment/segment_format.hpp"

namespace annal::segment {

/// A sparse position index entry: the frame holding `position` starts at `offset`.
struct sparse_entry {
  std::uint64_t position;
  std::uint64_t offset;
};

/// One stored batch, as the stream index sees it.
struct batch_record {
  std::string stream_id;
  std::uint64_t first_version;
  std::uint64_t first_position;
  std::uint32_t count;
  /// Offset of the batch's frame in its segment file.
  std::uint64_t offset;
  /// The batch's last event is a tombstone: its stream refuses every later append.
  bool ends_in_tombstone = false;

  friend bool operator==(const batch_record&, const batch_record&) = default;
};

/// The index entry of a stored batch whose frame starts at `offset`, read from the frame itself:
/// the one derivation recovery and verify share. Calls `each_event(i, event)` for each event on
/// the way, so a caller that needs the events reads them once.
template <class EachEvent>
batch_record record_of(const batch_view& batch, std::uint64_t offset, EachEvent&& each_event) {
  batch_record record{std::string(batch.stream_id()), batch.first_version(), batch.first_position(),
                      batch.count(), offset};
  batch.for_each([&](std::uint32_t i, const event_view& e) {
    each_event(i, e);
    if (i + 1 == batch.count()) record.ends_in_tombstone = e.type == detail::tombstone_event_type;
  });
  return record;
}

/// Everything a segment's index file holds (layout in docs/storage-format.md).
struct segment_index {
  std::uint64_t base_position = 0;
  /// The segment file's size in bytes that this index describes.
  std::uint64_t covered_size = 0;
  /// The position after the last event of the covered bytes.
  std::uint64_t next_position = 0;
  std::vector<sparse_entry> sparse;
  std::vector<batch_record> batches;
  std::vector<std::pair<uuid, std::uint64_t>> ids;
  /// The format version the index was read in; writing always writes index_format_version.
  std::uint32_t format_version = index_format_version;
};

/// Byte offsets of an index file's fields (docs/storage-format.md, "Index sidecar"), for readers
/// that point at a field, such as verify: magic[8] | format_version u32 | base u64 at 12 |
/// covered_size u64 | next_position u64 | sparse count u32 | batch count u32 | id count u32 |
/// entries. Sparse entries take 16 bytes, batches 31 plus their stream id (30 in version 1),
/// event ids 24.
inline constexpr std::int64_t index_covered_size_at = 20;
inline constexpr std::int64_t index_next_position_at = 28;
inline constexpr std::int64_t index_batch_count_at = 40;
inline constexpr std::int64_t index_id_count_at = 44;
inline constexpr std::size_t index_entries_at = 48;

/// The index file name of the segment whose base position is `base`.
std::string index_file_name(std::uint64_t base);
/// The segment file name of base position `base`.
std::string segment_file_name(std::uint64_t base);

/// The base position of a segment file name ("<20 digits>.seg"); nullopt for any other name.
std::optional<std::uint64_t> segment_base_of(const std::string& name);

/// Writes `index` as `dir`/<base>.idx atomically: a temporary file, synced, renamed over the
/// old one, directory synced. Throws annal::io_error.
void write_segment_index(io::file_system& fs, const std::string& dir, const segment_index& index);

/// Reads and checks an index file. Returns nullopt, with `reason` set, when it is missing,
/// damaged, of another format version or another segment: the caller rebuilds it from the log.
/// Reads a sidecar file at `path` that starts with `magic` and ends with the CRC-32C of the
/// bytes before it: those bytes, or nullopt with `reason` ("missing", "too short", "checksum
/// mismatch", "bad magic"). Throws annal::io_error when the file exists but cannot be read.
std::optional<std::string> read_sidecar(io::file_system& fs, const std::string& path,
                                        std::string_view magic, std::string& reason);

std::optional<segment_index> read_segment_index(io::file_system& fs, const std::string& dir,
                                                std::uint64_t base, std::string& reason);

}  // namespace annal::segment
