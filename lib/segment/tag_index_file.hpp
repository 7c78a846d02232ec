// The tag index sidecar of a sealed segment: the query index's part for its events, so that the
// first query after an open reads it instead of the segment (format in docs/storage-format.md).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/file_system.hpp"
#include "segment/batch_frame.hpp"
#include "segment/tag_postings.hpp"

namespace annal::segment {

/// The query index of one segment's events: derived data, rebuilt from the segment whenever it is
/// missing, damaged or stale.
struct segment_tag_index {
  segment_tag_index() = default;
  /// An empty index of the segment at `base`.
  explicit segment_tag_index(std::uint64_t base) : base_position(base), next_position(base) {}

  std::uint64_t base_position = 0;
  /// How many bytes of the segment file it describes, and the position after their last event.
  std::uint64_t covered_size = 0;
  std::uint64_t next_position = 0;
  /// The types its events have; an event_spot's type is an index into it.
  std::vector<std::string> types;
  /// One per event, from base_position on.
  std::vector<event_spot> events;
  /// Each batch's first position and commit time, in log order.
  std::vector<std::pair<std::uint64_t, std::int64_t>> batch_times;
  /// Each tag its events carry, with their positions, ascending.
  std::map<std::string, std::vector<std::uint64_t>, std::less<>> tags;

  /// Adds a batch whose frame (checksum already checked) starts at `frame_offset` of the segment
  /// and follows everything added before. Never throws but std::bad_alloc.
  void add_batch(const batch_view& batch, std::uint64_t frame_offset);
  /// Adds the batches of `part`, the index of the bytes that follow everything added before.
  void append(const segment_tag_index& part);
  /// Records every event and tag in `postings` (after the events before base_position).
  void load_into(tag_postings& postings) const;

  friend bool operator==(const segment_tag_index&, const segment_tag_index&) = default;
};

/// "<20-digit base position>.tix".
std::string tag_index_file_name(std::uint64_t base);

/// Writes `index` beside its segment in `dir` (to a temporary file, synced, renamed, directory
/// synced). Throws annal::io_error.
void write_tag_index(io::file_system& fs, const std::string& dir, const segment_tag_index& index);

/// Reads the tag index of the segment at `base` in `dir`; nullopt with `reason` ("missing", or
/// why it is unusable: checksum, magic, version, base, structure). Throws annal::io_error for a
/// file that exists but cannot be read.
std::optional<segment_tag_index> read_tag_index(io::file_system& fs, const std::string& dir,
                                                std::uint64_t base, std::string& reason);

}  // namespace annal::segment
