// The segment backend's snapshot file format (docs/storage-format.md, "Segment backend
// snapshots"): file names, encoding, and the checks of a file's header, apart from the store.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "annal/event_store.hpp"
#include "annal/snapshot_store.hpp"
#include "io/file_system.hpp"
#include "segment/snapshot_format.hpp"

namespace annal::segment {

/// FNV-1a, 64 bits, of a stream id. It names files, so it must not change between builds,
/// unlike std::hash.
std::uint64_t stream_hash(std::string_view stream_id) noexcept;

/// "<hash:16 hex>-<version:20 digits>-<fingerprint:16 hex>", a snapshot file's name without its
/// collision suffix and extension.
std::string base_name(std::uint64_t hash, std::uint64_t version, std::uint64_t fingerprint);

/// What a snapshot file's name says about its contents.
struct name_fields {
  std::uint64_t hash = 0;
  std::uint64_t version = 0;
  std::uint64_t fingerprint = 0;
};

/// Parses "<hash>-<version>-<fingerprint>[-<n>].snap" in exactly the form base_name() and the
/// store write; nullopt for any other name.
std::optional<name_fields> parse_name(std::string_view name);

/// A snapshot's time as stored: microseconds since the epoch, rounded down.
std::int64_t to_microseconds(std::chrono::system_clock::time_point t);

/// The whole file of snapshot `s`: header, header CRC, payload, file CRC.
std::string encode_snapshot(const snapshot& s);

/// A snapshot file's header.
struct file_header {
  std::uint32_t header_size = 0;
  std::string stream_id;
  std::uint64_t version = 0;
  std::uint64_t position = 0;
  std::uint64_t fingerprint = 0;
  std::string aggregate_type;
  snapshot_encoding encoding = snapshot_encoding::json;
  std::int64_t taken_us = 0;
  std::uint64_t payload_length = 0;
};

enum class header_status { ok, newer_format, damaged };

/// Checks the fixed prefix of a file of `file_size` bytes and sets `header_size`; on a status
/// other than ok, `reason` says why.
header_status check_prefix(std::string_view prefix, std::uint64_t file_size,
                           std::uint32_t& header_size, std::string& reason);

/// Parses the `header_size` bytes of a header that check_prefix() accepted; false, with
/// `reason` set, when it is damaged or does not fit a file of `file_size` bytes.
bool parse_header(std::string_view header, std::uint64_t file_size, file_header& out,
                  std::string& reason);

/// Reads `size` bytes at `offset` into `out`; false when the file ends first. Throws
/// annal::io_error when the read fails.
bool read_exact(const io::file& file, std::uint64_t offset, std::size_t size, std::string& out);

}  // namespace annal::segment
