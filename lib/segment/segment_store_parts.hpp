// The segment store's shared parts: what its recovery, writer and readers all work on.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "segment/byte_io.hpp"
#include "segment/segment_format.hpp"
#include "segment/segment_index_file.hpp"
#include "segment/segment_store.hpp"

namespace annal {

namespace seg = annal::segment;

struct segment_store::segment_file {
  std::uint64_t base = 0;
  /// The directory the file is in: the store's, or the archive directory.
  std::string dir;
  std::string path;
  /// Null once retention deleted the segment: the slot keeps its base so that segment numbers
  /// stay, and no stream batch points at it any more.
  std::shared_ptr<io::file> file;
  bool archived = false;
  /// Bytes readers may read: everything up to the end of the last published frame.
  std::uint64_t size = 0;
  /// The position after the segment's last published event.
  std::uint64_t next_position = 0;
  std::vector<seg::sparse_entry> sparse;
};

// Where a read of the log goes in one segment: from `offset`, the frame of `position`, to `size`
// (the segment's published size when the read began).
struct segment_store::read_part {
  std::shared_ptr<segment_file> segment;
  std::uint64_t offset;
  std::uint64_t position;
  std::uint64_t size;
};

struct segment_store::stream_batch {
  std::uint64_t first_version;
  std::uint64_t first_position;
  std::uint32_t count;
  std::uint32_t segment_number;
  std::uint64_t offset;
};

// Where a batch of the log is, in log order: what a read of events by position goes through.
struct segment_store::batch_place {
  std::uint64_t first_position;
  std::uint32_t count;
  std::uint32_t segment_number;
  std::uint64_t offset;
  std::uint64_t first_version;
  // Commit time; 0 until the query index is built (index files do not hold it).
  std::int64_t timestamp_us;
  // The stream's id: a key of streams_, whose nodes never move.
  const std::string* stream_id;
};

struct segment_store::stream_info {
  std::uint64_t version = 0;
  std::vector<stream_batch> batches;
  /// The stream's last event is a tombstone.
  bool tombstoned = false;
};

struct segment_store::pending_append {
  std::string_view stream_id;
  expected_version expected;
  std::span<const event_data> events;
  std::vector<std::string> metadata;  // encoded, one per event; empty when no event has any
  // The events' content digests when computed before the group's write: by the appending thread
  // when the store syncs no group (nothing to hash beside), by the writer for append_recorded();
  // empty otherwise (the writer's link_hasher computes them beside the sync).
  std::vector<detail::sha256_digest> contents;
  bool done = false;
  append_result result;
  std::exception_ptr error;
  // Set by append_recorded(): the batch as recorded (its positions, versions and timestamp);
  // empty for append().
  std::span<const recorded_event> recorded;
  std::int64_t timestamp_us = 0;
  // The condition of a conditional append; null for the others.
  const append_condition* condition = nullptr;
};

// What the writer decided for one group of queued appends, before anything is written.
struct segment_store::group_plan {
  struct chunk {
    bool new_segment = false;  // starts a new segment at `base`
    std::uint64_t base = 0;
    seg::byte_buffer bytes;
  };
  struct accepted {
    pending_append* append;
    std::size_t chunk;
    std::uint64_t offset;  // of the frame in its segment
    std::uint64_t first_position;
    std::uint64_t first_version;
    std::uint32_t segment_number = 0;
    std::size_t chunk_offset = 0;   // of the frame in its chunk's bytes
    std::int64_t timestamp_us = 0;  // the batch's commit time
    // The batch's part of the query index, computed before publication (once it is kept).
    segment::segment_tag_index tags;
  };
  std::vector<chunk> chunks;
  std::vector<accepted> batches;
  // Retries of a batch accepted earlier in this group: they succeed only if the group commits.
  std::vector<pending_append*> group_retries;
  struct tentative_stream {
    std::uint64_t version = 0;
    bool tombstoned = false;
  };
  // The streams the group's accepted batches moved on.
  std::unordered_map<std::string, tentative_stream> streams;
  // Where the ids of the group's accepted batches are: (index into `batches`, event index). Only
  // kept when the group has several appends.
  std::unordered_map<uuid, std::pair<std::size_t, std::uint32_t>> ids;
  bool track_ids = false;
  std::uint64_t next_position = 0;
  std::uint64_t segment_size = 0;
  std::int64_t timestamp_us = 0;
};

namespace segment {

/// Adds a sparse index entry for the frame at `offset` when it is the first at or after the
/// next interval boundary.
inline void add_sparse(std::vector<sparse_entry>& sparse, std::uint64_t position,
                       std::uint64_t offset) {
  if (sparse.empty() || offset >= sparse.back().offset + sparse_index_interval) {
    sparse.push_back({position, offset});
  }
}

}  // namespace segment

}  // namespace annal
