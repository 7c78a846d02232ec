// The segment store's manifest: its identity and how far its log is known to reach.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "annal/uuid.hpp"
#include "io/file_system.hpp"

namespace annal::segment {

/// The manifest's file name in a segment store's directory.
inline constexpr std::string_view manifest_file_name = "MANIFEST";

/// What the manifest records (layout in docs/storage-format.md, "Manifest").
struct manifest {
  /// The store's identity (event_store::store_id()), fixed at creation.
  uuid store_id;
  /// The base position of the newest segment file known to exist: the log reaches at least
  /// that segment, so a missing segment file at the end is found, not taken for the end.
  std::uint64_t last_segment_base = 0;
  /// The first position of the log: 1, or, once retention deleted the oldest segments, the base
  /// of the first segment left. Segment files before it are leftovers of a deletion.
  std::uint64_t log_start = 1;

  friend bool operator==(const manifest&, const manifest&) = default;
};

/// Writes `m` as `dir`/MANIFEST atomically (a synced temporary file renamed over the old one,
/// then the directory synced): a crash leaves the old manifest or the new one. Writes manifest
/// version 1 while the log starts at 1, so that older annals still open the store, and version 2
/// (which records the log's start) once retention moved it. Throws annal::io_error.
void write_manifest(io::file_system& fs, const std::string& dir, const manifest& m);

/// Reads `dir`/MANIFEST: nullopt when there is none. Throws annal::corruption when it is
/// damaged, annal::unsupported_format_version when a newer annal wrote it, annal::io_error when
/// it cannot be read.
std::optional<manifest> read_manifest(io::file_system& fs, const std::string& dir);

}  // namespace annal::segment
