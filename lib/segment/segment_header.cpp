// Encoding and checking segment headers (layout in segment_format.hpp and docs/storage-format.md).
#include "segment/segment_header.hpp"

#include <fmt/format.h>

#include "core/crc32c.hpp"
#include "segment/byte_io.hpp"
#include "segment/segment_format.hpp"

namespace annal::segment {
namespace {

// Byte offsets of the header's fields.
constexpr std::int64_t version_at = 8;
constexpr std::int64_t header_size_at = 12;
constexpr std::int64_t base_at = 16;
constexpr std::size_t crc_at = 28;

}  // namespace

std::string encode_segment_header(std::uint64_t base) {
  std::string out;
  byte_writer w(out);
  w.bytes(segment_magic);
  w.u32(format_version);
  w.u32(static_cast<std::uint32_t>(segment_header_size));
  w.u64(base);
  w.u32(0);
  w.u32(detail::crc32c(as_bytes(out)));
  return out;
}

std::optional<header_fault> check_segment_header(std::string_view bytes, std::uint64_t base) {
  using kind = header_fault::kind;
  if (bytes.size() < segment_header_size) {
    return header_fault{kind::truncated, 0,
                        fmt::format("the segment header is incomplete ({} of {} bytes)",
                                    bytes.size(), segment_header_size)};
  }
  byte_reader r(bytes.substr(0, segment_header_size));
  if (r.bytes(segment_magic.size()) != segment_magic) {
    return header_fault{kind::bad_magic, 0, "not an annal segment file (bad magic)"};
  }
  std::uint32_t version = r.u32();
  std::uint32_t header_size = r.u32();
  std::uint64_t stored_base = r.u64();
  r.u32();
  std::uint32_t crc = r.u32();
  if (detail::crc32c(as_bytes(bytes.substr(0, crc_at))) != crc) {
    return header_fault{kind::checksum, 0, "segment header checksum mismatch"};
  }
  if (header_size != segment_header_size) {
    return header_fault{kind::bad_field, header_size_at,
                        fmt::format("the segment header says it is {} bytes; this format's is {}",
                                    header_size, segment_header_size)};
  }
  if (version > format_version) {
    return header_fault{kind::newer_version, version_at,
                        fmt::format("format version {} is newer than this build reads ({})",
                                    version, format_version),
                        version};
  }
  if (version == 0) {
    return header_fault{kind::bad_field, version_at, "format version 0 does not exist"};
  }
  if (stored_base != base) {
    return header_fault{
        kind::wrong_base, base_at,
        fmt::format("the header says base position {}, the file name {}", stored_base, base)};
  }
  return std::nullopt;
}

std::optional<header_fault> read_segment_header(const io::file& file, std::uint64_t base) {
  std::string header(segment_header_size, '\0');
  header.resize(file.read_at(0, {reinterpret_cast<std::byte*>(header.data()), header.size()}));
  return check_segment_header(header, base);
}

std::uint32_t read_segment_version(const io::file& file) {
  std::string field(4, '\0');
  field.resize(file.read_at(version_at, {reinterpret_cast<std::byte*>(field.data()), 4}));
  byte_reader r(field);
  return r.u32();
}

}  // namespace annal::segment
