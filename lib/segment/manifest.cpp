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

// magic[8] | version u32 | size u32 | store_id[16] | last_segment_base u64 | reserved u32 |
// crc u32 over the 44 bytes before it.
constexpr std::string_view manifest_magic = "ANNALMAN";
constexpr std::uint32_t manifest_version = 1;
constexpr std::size_t manifest_size = 48;

}  // namespace

void write_manifest(io::file_system& fs, const std::string& dir, const manifest& m) {
  std::string out;
  byte_writer w(out);
  w.bytes(manifest_magic);
  w.u32(manifest_version);
  w.u32(static_cast<std::uint32_t>(manifest_size));
  w.bytes({reinterpret_cast<const char*>(m.store_id.bytes().data()), 16});
  w.u64(m.last_segment_base);
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
  std::string data(manifest_size + 1, '\0');
  data.resize(file->read_at(0, {reinterpret_cast<std::byte*>(data.data()), data.size()}));
  byte_reader r(data);
  if (data.size() < 16 || r.bytes(manifest_magic.size()) != manifest_magic) {
    throw corruption(path, 0, "not an annal manifest (bad magic or too short)");
  }
  std::uint32_t version = r.u32();
  std::uint32_t size = r.u32();
  if (data.size() != manifest_size || size != manifest_size ||
      detail::crc32c(as_bytes(std::string_view(data).substr(0, manifest_size - 4))) !=
          byte_reader(std::string_view(data).substr(manifest_size - 4)).u32()) {
    throw corruption(path, 0,
                     fmt::format("the manifest is damaged ({} bytes, checksum or size wrong)",
                                 data.size()));
  }
  if (version > manifest_version) {
    throw unsupported_format_version(path, version, manifest_version);
  }
  manifest m;
  std::array<std::uint8_t, 16> id{};
  std::memcpy(id.data(), r.bytes(16).data(), 16);
  m.store_id = uuid(id);
  m.last_segment_base = r.u64();
  if (m.store_id.is_nil() || m.last_segment_base == 0) {
    throw corruption(path, 16, "the manifest holds a nil store id or a base position of 0");
  }
  return m;
}

}  // namespace annal::segment
