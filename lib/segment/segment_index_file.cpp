// Writing and reading segment index sidecars (format in docs/storage-format.md).
#include "segment/segment_index_file.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstring>
#include <stdexcept>

#include "core/crc32c.hpp"
#include "io/replace_file.hpp"
#include "segment/byte_io.hpp"
#include "segment/segment_format.hpp"

namespace annal::segment {

std::string index_file_name(std::uint64_t base) {
  return fmt::format("{:020}{}", base, index_suffix);
}

std::string segment_file_name(std::uint64_t base) {
  return fmt::format("{:020}{}", base, segment_suffix);
}

std::optional<std::uint64_t> segment_base_of(const std::string& name) {
  if (name.size() != 20 + segment_suffix.size() || !name.ends_with(segment_suffix)) {
    return std::nullopt;
  }
  std::uint64_t base = 0;
  auto [end, error] = std::from_chars(name.data(), name.data() + 20, base);
  if (error != std::errc() || end != name.data() + 20) return std::nullopt;
  return base;
}

void write_segment_index(io::file_system& fs, const std::string& dir, const segment_index& index) {
  std::string out;
  byte_writer w(out);
  w.bytes(index_magic);
  w.u32(index_format_version);
  w.u64(index.base_position);
  w.u64(index.covered_size);
  w.u64(index.next_position);
  w.u32(static_cast<std::uint32_t>(index.sparse.size()));
  w.u32(static_cast<std::uint32_t>(index.batches.size()));
  w.u32(static_cast<std::uint32_t>(index.ids.size()));
  if (out.size() != index_entries_at) throw std::logic_error("index header layout changed");
  for (const auto& e : index.sparse) {
    w.u64(e.position);
    w.u64(e.offset);
  }
  for (const auto& b : index.batches) {
    w.u16(static_cast<std::uint16_t>(b.stream_id.size()));
    w.bytes(b.stream_id);
    w.u64(b.first_version);
    w.u64(b.first_position);
    w.u32(b.count);
    w.u64(b.offset);
    w.u8(b.ends_in_tombstone ? batch_flag_tombstone : 0);
  }
  for (const auto& [id, position] : index.ids) {
    w.bytes({reinterpret_cast<const char*>(id.bytes().data()), 16});
    w.u64(position);
  }
  w.u32(detail::crc32c(as_bytes(out)));

  std::string path = dir + "/" + index_file_name(index.base_position);
  io::replace_file(fs, path, path + ".tmp", out);
  fs.sync_dir(dir);
}

std::optional<std::string> read_sidecar(io::file_system& fs, const std::string& path,
                                        std::string_view magic, std::string& reason) {
  if (!fs.exists(path)) {
    reason = "missing";
    return std::nullopt;
  }
  auto file = fs.open(path, io::open_mode::read_only);
  std::string data(file->size(), '\0');
  data.resize(file->read_at(0, {reinterpret_cast<std::byte*>(data.data()), data.size()}));
  if (data.size() < magic.size() + 4 + 4) {
    reason = "too short";
    return std::nullopt;
  }
  std::uint32_t crc = byte_reader(std::string_view(data).substr(data.size() - 4)).u32();
  data.resize(data.size() - 4);
  if (detail::crc32c(as_bytes(data)) != crc) {
    reason = "checksum mismatch";
    return std::nullopt;
  }
  if (std::string_view(data).substr(0, magic.size()) != magic) {
    reason = "bad magic";
    return std::nullopt;
  }
  return data;
}

std::optional<segment_index> read_segment_index(io::file_system& fs, const std::string& dir,
                                                std::uint64_t base, std::string& reason) {
  auto data = read_sidecar(fs, dir + "/" + index_file_name(base), index_magic, reason);
  if (!data) return std::nullopt;
  byte_reader r(*data);
  r.bytes(index_magic.size());
  std::uint32_t version = r.u32();
  if (version != index_format_version && version != 1) {
    reason = fmt::format("format version {}", version);
    return std::nullopt;
  }
  segment_index index;
  index.format_version = version;
  index.base_position = r.u64();
  index.covered_size = r.u64();
  index.next_position = r.u64();
  std::uint32_t sparse_count = r.u32();
  std::uint32_t batch_count = r.u32();
  std::uint32_t id_count = r.u32();
  if (index.base_position != base) {
    reason = fmt::format("describes base position {}", index.base_position);
    return std::nullopt;
  }
  // Each entry takes at least 16 bytes: reject counts the file cannot hold before reserving.
  if (std::uint64_t{sparse_count} + batch_count + id_count > r.remaining() / 16 + 1) {
    reason = "counts exceed the file";
    return std::nullopt;
  }
  index.sparse.reserve(sparse_count);
  for (std::uint32_t i = 0; i < sparse_count; ++i) {
    std::uint64_t position = r.u64();
    index.sparse.push_back({position, r.u64()});
  }
  index.batches.reserve(batch_count);
  for (std::uint32_t i = 0; i < batch_count; ++i) {
    batch_record b;
    b.stream_id = std::string(r.bytes(r.u16()));
    b.first_version = r.u64();
    b.first_position = r.u64();
    b.count = r.u32();
    b.offset = r.u64();
    if (version >= 2) b.ends_in_tombstone = (r.u8() & batch_flag_tombstone) != 0;
    index.batches.push_back(std::move(b));
  }
  index.ids.reserve(id_count);
  for (std::uint32_t i = 0; i < id_count; ++i) {
    std::string_view id = r.bytes(16);
    std::array<std::uint8_t, 16> bytes{};
    if (id.size() == 16) std::memcpy(bytes.data(), id.data(), 16);
    index.ids.emplace_back(uuid(bytes), r.u64());
  }
  if (r.failed() || r.remaining() != 0) {
    reason = "malformed";
    return std::nullopt;
  }
  return index;
}

}  // namespace annal::segment
