// The segment backend's snapshot file format: names, encoding, and the checks of a file's header.
#include "segment/snapshot_file.hpp"

#include <fmt/format.h>

#include <charconv>

#include "core/crc32c.hpp"
#include "segment/byte_io.hpp"

namespace annal::segment {
namespace {

// Length of "<hash>-<version>-<fingerprint>", the part of a name before any collision suffix.
constexpr std::size_t base_name_size = 16 + 1 + 20 + 1 + 16;
constexpr std::size_t max_header_size =
    snapshot_fixed_header_size + max_stream_id_size + max_snapshot_aggregate_type_size;

bool parse_number(std::string_view text, int base, std::uint64_t& out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out, base);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::int64_t to_microseconds(std::chrono::system_clock::time_point t) {
  return std::chrono::floor<std::chrono::microseconds>(t.time_since_epoch()).count();
}

std::uint64_t stream_hash(std::string_view stream_id) noexcept {
  std::uint64_t h = 0xcbf29ce484222325u;
  for (char c : stream_id) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3u;
  }
  return h;
}

std::string base_name(std::uint64_t hash, std::uint64_t version, std::uint64_t fingerprint) {
  return fmt::format("{:016x}-{:020}-{:016x}", hash, version, fingerprint);
}

std::optional<name_fields> parse_name(std::string_view name) {
  if (!name.ends_with(snapshot_suffix)) return std::nullopt;
  std::string_view stem = name.substr(0, name.size() - snapshot_suffix.size());
  if (stem.size() < base_name_size) return std::nullopt;
  name_fields f;
  if (!parse_number(stem.substr(0, 16), 16, f.hash) ||
      !parse_number(stem.substr(17, 20), 10, f.version) ||
      !parse_number(stem.substr(38, 16), 16, f.fingerprint) ||
      base_name(f.hash, f.version, f.fingerprint) != stem.substr(0, base_name_size)) {
    return std::nullopt;
  }
  std::string_view rest = stem.substr(base_name_size);
  if (!rest.empty()) {
    std::uint64_t n = 0;
    if (rest[0] != '-' || !parse_number(rest.substr(1), 10, n) || n == 0 ||
        fmt::format("-{}", n) != rest) {
      return std::nullopt;
    }
  }
  return f;
}

std::string encode_snapshot(const snapshot& s) {
  std::size_t header_size =
      snapshot_fixed_header_size + s.stream_id.size() + s.aggregate_type.size();
  std::string out;
  out.reserve(header_size + s.payload.size() + snapshot_trailer_size);
  byte_writer w(out);
  w.bytes(snapshot_magic);
  w.u32(snapshot_format_version);
  w.u32(static_cast<std::uint32_t>(header_size));
  w.u16(static_cast<std::uint16_t>(s.stream_id.size()));
  w.bytes(s.stream_id);
  w.u64(s.version);
  w.u64(s.position);
  w.u64(s.fingerprint);
  w.u16(static_cast<std::uint16_t>(s.aggregate_type.size()));
  w.bytes(s.aggregate_type);
  w.u8(static_cast<std::uint8_t>(s.encoding));
  w.u64(static_cast<std::uint64_t>(to_microseconds(s.taken_at)));
  w.u64(s.payload.size());
  w.u32(detail::crc32c(as_bytes(out)));
  w.bytes(s.payload);
  w.u32(detail::crc32c(as_bytes(out)));
  return out;
}

header_status check_prefix(std::string_view prefix, std::uint64_t file_size,
                           std::uint32_t& header_size, std::string& reason) {
  if (prefix.size() < snapshot_prefix_size) {
    reason = fmt::format("{} bytes is too short for a snapshot file", file_size);
    return header_status::damaged;
  }
  byte_reader r(prefix);
  if (r.bytes(snapshot_magic.size()) != snapshot_magic) {
    reason = "not a snapshot file (bad magic)";
    return header_status::damaged;
  }
  std::uint32_t version = r.u32();
  if (version > snapshot_format_version) {
    reason = fmt::format("written in format version {}; this build reads up to {}", version,
                         snapshot_format_version);
    return header_status::newer_format;
  }
  header_size = r.u32();
  if (version != snapshot_format_version) {
    reason = fmt::format("invalid format version {}", version);
    return header_status::damaged;
  }
  if (header_size < snapshot_fixed_header_size + 1 || header_size > max_header_size) {
    reason = fmt::format("invalid header size {}", header_size);
    return header_status::damaged;
  }
  if (header_size + snapshot_trailer_size > file_size) {
    reason = fmt::format("the file ({} bytes) is shorter than its header ({} bytes)", file_size,
                         header_size);
    return header_status::damaged;
  }
  return header_status::ok;
}

bool parse_header(std::string_view header, std::uint64_t file_size, file_header& out,
                  std::string& reason) {
  std::string_view body = header.substr(0, header.size() - 4);
  byte_reader trailer(header.substr(header.size() - 4));
  if (detail::crc32c(as_bytes(body)) != trailer.u32()) {
    reason = "header checksum mismatch";
    return false;
  }
  byte_reader r(body);
  r.bytes(snapshot_prefix_size);
  out.header_size = static_cast<std::uint32_t>(header.size());
  out.stream_id = std::string(r.bytes(r.u16()));
  out.version = r.u64();
  out.position = r.u64();
  out.fingerprint = r.u64();
  out.aggregate_type = std::string(r.bytes(r.u16()));
  std::uint8_t encoding = r.u8();
  out.taken_us = static_cast<std::int64_t>(r.u64());
  out.payload_length = r.u64();
  if (r.failed() || r.remaining() != 0) {
    reason = "malformed header";
    return false;
  }
  if (out.stream_id.empty() || out.stream_id.size() > max_stream_id_size ||
      out.stream_id.find('\0') != std::string::npos) {
    reason = "invalid stream id";
    return false;
  }
  if (encoding != static_cast<std::uint8_t>(snapshot_encoding::json) &&
      encoding != static_cast<std::uint8_t>(snapshot_encoding::cbor)) {
    reason = fmt::format("unknown encoding {}", encoding);
    return false;
  }
  out.encoding = static_cast<snapshot_encoding>(encoding);
  if (out.payload_length != file_size - header.size() - snapshot_trailer_size) {
    reason = fmt::format("the header says {} payload bytes, the file holds {}", out.payload_length,
                         file_size - header.size() - snapshot_trailer_size);
    return false;
  }
  return true;
}

bool read_exact(const io::file& file, std::uint64_t offset, std::size_t size, std::string& out) {
  out.resize(size);
  return file.read_at(offset, {reinterpret_cast<std::byte*>(out.data()), size}) == size;
}

}  // namespace annal::segment
