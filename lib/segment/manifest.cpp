// Writing and reading the segment store's manifest.
#include "segment/manifest.hpp"

#include <fmt/format.h>

#include <array>
#include <cstring>

#include "annal/error.hpp"
#include "core/crc32c.hpp"
#include "io/replace_file.hpp"
#include "segment/byte_io.hpp"

namespace annal::segment {
namespace {

// magic[8] | version u32 | size u32 | store_id[16] | last_segment_base u64 | [log_start u64,
// version 2] | reserved u32 | crc u32 over the bytes before it.
constexpr std::string_view manifest_magic = "ANNALMAN";
constexpr std::uint32_t manifest_version = 2;
constexpr std::size_t manifest_v1_size = 48;
constexpr std::size_t manifest_v2_size = 56;

}  // namespace

void write_manifest(io::file_system& fs, const std::string& dir, const manifest& m) {
  bool moved = m.log_start != 1;
  std::string out;
  byte_writer w(out);
  w.bytes(manifest_magic);
  w.u32(moved ? 2 : 1);
  w.u32(static_cast<std::uint32_t>(moved ? manifest_v2_size : manifest_v1_size));
  w.bytes({reinterpret_cast<const char*>(m.store_id.bytes().data()), 16});
  w.u64(m.last_segment_base);
  if (moved) w.u64(m.log_start);
  w.u32(0);
  w.u32(detail::crc32c(as_bytes(out)));
  std::string path = dir + "/" + std::string(manifest_file_name);
  io::replace_file(fs, path, path + ".tmp", out);
  fs.sync_dir(dir);
}

std::optional<manifest> read_manifest(io::file_system& fs, const std::string& dir) {
  std::string path = dir + "/" + std::string(manifest_file_name);
  if (!fs.exists(path)) return std::nullopt;
  auto file = fs.open(path, io::open_mode::read_only);
  std::string data(manifest_v2_size + 1, '\0');
  data.resize(file->read_at(0, {reinterpret_cast<std::byte*>(data.data()), data.size()}));
  byte_reader r(data);
  if (data.size() < 16 || r.bytes(manifest_magic.size()) != manifest_magic) {
    throw corruption(path, 0, "not an annal manifest (bad magic or too short)");
  }
  std::uint32_t version = r.u32();
  std::uint32_t size = r.u32();
  if (version > manifest_version) {
    throw unsupported_format_version(path, version, manifest_version);
  }
  std::size_t expected = version >= 2 ? manifest_v2_size : manifest_v1_size;
  if (data.size() != expected || size != expected ||
      detail::crc32c(as_bytes(std::string_view(data).substr(0, expected - 4))) !=
          byte_reader(std::string_view(data).substr(expected - 4)).u32()) {
    throw corruption(
        path, 0,
        fmt::format("the manifest is damaged ({} bytes, checksum or size wrong)", data.size()));
  }
  manifest m;
  std::array<std::uint8_t, 16> id{};
  std::memcpy(id.data(), r.bytes(16).data(), 16);
  m.store_id = uuid(id);
  m.last_segment_base = r.u64();
  if (version >= 2) m.log_start = r.u64();
  if (m.store_id.is_nil() || m.last_segment_base == 0 || m.log_start == 0 ||
      m.log_start > m.last_segment_base) {
    throw corruption(path, 16,
                     "the manifest holds a nil store id, a base position of 0, or a log start "
                     "after its last segment");
  }
  return m;
}

}  // namespace annal::segment
