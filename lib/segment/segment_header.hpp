// The 32-byte header that starts every segment file: written, read and checked in one place.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "io/file_system.hpp"

namespace annal::segment {

/// Why a segment header cannot be used, and where in the header.
struct header_fault {
  enum class kind : std::uint8_t {
    truncated,      ///< The file is shorter than a header.
    bad_magic,      ///< Not an annal segment file.
    checksum,       ///< The header's CRC does not match: damaged.
    bad_field,      ///< A good CRC over a header size or version this format does not have.
    newer_version,  ///< Written by a newer annal: not damage, and not to be repaired.
    wrong_base,     ///< The base position is not the one the file name gives.
  };
  kind what;
  /// The byte offset of the field at fault (0 for truncated and checksum).
  std::int64_t offset;
  /// One line for a message: what is wrong, with the values found.
  std::string reason;
  /// The format version found (newer_version).
  std::uint32_t version = 0;
};

/// The header of the segment whose first position is `base`
/// (docs/storage-format.md, "Segment file").
std::string encode_segment_header(std::uint64_t base);

/// Checks `bytes`, the start of a segment file (all of it when shorter than a header), as the
/// header of the segment named for `base`: length, magic, checksum, header size, format
/// version, base, in that order, so that a flipped bit anywhere is a checksum fault, never a
/// misread field. Returns nullopt for a good header. Pure.
std::optional<header_fault> check_segment_header(std::string_view bytes, std::uint64_t base);

/// Reads the header of `file` and checks it as check_segment_header() does. Throws
/// annal::io_error when the read fails.
std::optional<header_fault> read_segment_header(const io::file& file, std::uint64_t base);

/// The format version in the header of `file`, which read_segment_header() found good. Throws
/// annal::io_error when the read fails.
std::uint32_t read_segment_version(const io::file& file);

}  // namespace annal::segment
