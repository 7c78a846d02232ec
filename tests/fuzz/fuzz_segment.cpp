// libFuzzer target: arbitrary bytes as a segment file, opened, recovered, read and appended to.
// The first input byte chooses the mode; bit 0 recomputes every frame's CRC so that mutations
// reach the batch decoder instead of stopping at the checksum.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "annal/error.hpp"
#include "core/crc32c.hpp"
#include "support/fault_file_system.hpp"
#include "segment/segment_format.hpp"
#include "segment/segment_store.hpp"

namespace {

constexpr const char* dir = "/store";
constexpr const char* segment_path = "/store/00000000000000000001.seg";

std::uint32_t load_u32(const std::string& bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    value |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
  }
  return value;
}

void store_u32(std::string& bytes, std::size_t at, std::uint32_t value) {
  for (std::size_t i = 0; i < 4; ++i) bytes[at + i] = static_cast<char>(value >> (8 * i));
}

// Walks the frames after the header and gives each a correct CRC over its length, type and body.
void fix_frame_crcs(std::string& bytes) {
  namespace seg = annal::segment;
  std::size_t at = seg::segment_header_size;
  while (at + seg::frame_header_size <= bytes.size()) {
    std::uint64_t length = load_u32(bytes, at + 4);
    if (at + seg::frame_header_size + length > bytes.size()) break;
    auto covered = std::as_bytes(std::span(bytes.data() + at + 4, length + 5));
    store_u32(bytes, at, annal::detail::crc32c(covered));
    at += seg::frame_header_size + length;
  }
}

void exercise(annal::io::fault_file_system& fs, const annal::store_options& options) {
  annal::segment_store store(dir, options,
                             std::shared_ptr<annal::io::file_system>(&fs, [](auto*) {}));
  auto all = store.read_all(1, 1000);
  for (const auto& e : all.events) {
    store.read_stream(e.stream_id, 1, annal::read_direction::forward, 1000);
    store.read_stream(e.stream_id, annal::end_of_stream, annal::read_direction::backward, 1000);
  }
  annal::event_data event;
  event.type = "fuzz.appended";
  event.payload = "{}";
  auto result = store.append("fuzz", annal::expected_version::any(), event);
  if (store.read_all(result.first_position, 1).events.at(0).id != event.id) __builtin_trap();
  store.close();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) fix_frame_crcs(bytes);
  annal::store_options options;
  options.on_warning = [](const std::string&) {};
  options.segment_size = 4096;  // appends roll segments early
  annal::io::fault_file_system fs;
  fs.set_contents(segment_path, bytes);
  try {
    exercise(fs, options);
  } catch (const annal::corruption&) {
    // Damage before the tail: a repairing open must then succeed or fail cleanly too.
    options.repair_by_truncation = true;
    try {
      exercise(fs, options);
    } catch (const annal::error&) {
    }
  } catch (const annal::error&) {
  }
  return 0;
}
