// Building, writing and reading a sealed segment's tag index sidecar.
#include "segment/tag_index_file.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/crc32c.hpp"
#include "io/replace_file.hpp"
#include "segment/byte_io.hpp"
#include "segment/segment_format.hpp"
#include "segment/segment_index_file.hpp"

namespace annal::segment {

void segment_tag_index::add_batch(const batch_view& batch, std::uint64_t frame_offset) {
  batch_times.emplace_back(batch.first_position(), batch.timestamp_us());
  std::uint64_t body_offset = frame_offset + frame_header_size;
  batch.for_each([&](std::uint32_t i, const event_view& e) {
    std::uint64_t position = batch.first_position() + i;
    event_spot spot;
    spot.offset = body_offset + static_cast<std::uint64_t>(e.raw.data() - batch.body().data());
    spot.size = static_cast<std::uint32_t>(e.raw.size());
    spot.crc = spot_crc(position, e.raw);
    auto type = std::find(types.begin(), types.end(), e.type);
    spot.type = static_cast<std::uint32_t>(type - types.begin());
    if (type == types.end()) types.emplace_back(e.type);
    events.push_back(spot);
    for_each_tag(e, [&](std::string_view tag) {
      auto it = tags.find(tag);
      if (it == tags.end()) it = tags.emplace(std::string(tag), std::vector<std::uint64_t>{}).first;
      it->second.push_back(position);
    });
  });
  next_position = batch.last_position() + 1;
}

void segment_tag_index::append(const segment_tag_index& part) {
  batch_times.insert(batch_times.end(), part.batch_times.begin(), part.batch_times.end());
  for (event_spot spot : part.events) {
    const std::string& type = part.types[spot.type];
    auto at = std::find(types.begin(), types.end(), type);
    spot.type = static_cast<std::uint32_t>(at - types.begin());
    if (at == types.end()) types.push_back(type);
    events.push_back(spot);
  }
  for (const auto& [tag, positions] : part.tags) {
    auto& mine = tags[tag];
    mine.insert(mine.end(), positions.begin(), positions.end());
  }
  next_position = part.next_position;
}

void segment_tag_index::load_into(tag_postings& postings) const {
  postings.add_events(base_position, events, types);
  for (const auto& [tag, positions] : tags) postings.add_tag_positions(tag, positions);
}

std::string tag_index_file_name(std::uint64_t base) {
  return fmt::format("{:020}{}", base, tag_index_suffix);
}

void write_tag_index(io::file_system& fs, const std::string& dir, const segment_tag_index& index) {
  std::string out;
  byte_writer w(out);
  w.bytes(tag_index_magic);
  w.u32(tag_index_format_version);
  w.u64(index.base_position);
  w.u64(index.covered_size);
  w.u64(index.next_position);
  w.u32(static_cast<std::uint32_t>(index.types.size()));
  w.u32(static_cast<std::uint32_t>(index.batch_times.size()));
  w.u32(static_cast<std::uint32_t>(index.tags.size()));
  for (const auto& type : index.types) {
    w.u16(static_cast<std::uint16_t>(type.size()));
    w.bytes(type);
  }
  for (const auto& spot : index.events) {
    w.u64(spot.offset);
    w.u32(spot.size);
    w.u32(spot.crc);
    w.u32(spot.type);
  }
  for (const auto& [position, timestamp] : index.batch_times) {
    w.u64(position);
    w.u64(static_cast<std::uint64_t>(timestamp));
  }
  char varint[5];
  for (const auto& [tag, positions] : index.tags) {
    w.u16(static_cast<std::uint16_t>(tag.size()));
    w.bytes(tag);
    w.u32(static_cast<std::uint32_t>(positions.size()));
    std::uint64_t previous = index.base_position;
    for (std::uint64_t position : positions) {
      auto delta = static_cast<std::uint32_t>(position - previous);
      w.bytes({varint, static_cast<std::size_t>(put_varint(varint, delta) - varint)});
      previous = position;
    }
  }
  w.u32(detail::crc32c(as_bytes(out)));
  std::string path = dir + "/" + tag_index_file_name(index.base_position);
  io::replace_file(fs, path, path + ".tmp", out);
  fs.sync_dir(dir);
}

std::optional<segment_tag_index> read_tag_index(io::file_system& fs, const std::string& dir,
                                                std::uint64_t base, std::string& reason) {
  auto data = read_sidecar(fs, dir + "/" + tag_index_file_name(base), tag_index_magic, reason);
  if (!data) return std::nullopt;
  byte_reader r(*data);
  r.bytes(tag_index_magic.size());
  std::uint32_t version = r.u32();
  if (version != tag_index_format_version) {
    reason = fmt::format("format version {}", version);
    return std::nullopt;
  }
  segment_tag_index index;
  index.base_position = r.u64();
  index.covered_size = r.u64();
  index.next_position = r.u64();
  std::uint32_t type_count = r.u32();
  std::uint32_t batch_count = r.u32();
  std::uint32_t tag_count = r.u32();
  if (index.base_position != base) {
    reason = fmt::format("describes base position {}", index.base_position);
    return std::nullopt;
  }
  // Counts the file cannot hold are refused before anything is reserved: at least 2 bytes a
  // type, 20 an event, 16 a batch and 6 a tag.
  if (index.next_position < base || index.covered_size < segment_header_size ||
      type_count > r.remaining() / 2 || index.next_position - base > r.remaining() / 20 ||
      batch_count > r.remaining() / 16 || tag_count > r.remaining() / 6) {
    reason = "counts or sizes exceed the file";
    return std::nullopt;
  }
  std::uint64_t event_count = index.next_position - base;
  for (std::uint32_t i = 0; i < type_count; ++i) index.types.emplace_back(r.bytes(r.u16()));
  index.events.reserve(event_count);
  std::uint64_t end = segment_header_size;  // of the event before
  for (std::uint64_t i = 0; i < event_count && !r.failed(); ++i) {
    event_spot spot;
    spot.offset = r.u64();
    spot.size = r.u32();
    spot.crc = r.u32();
    spot.type = r.u32();
    // Events lie in position order inside the covered bytes, each after the one before.
    if (r.failed()) break;
    if (spot.type >= type_count || spot.offset < end || spot.offset > index.covered_size ||
        spot.size == 0 || spot.size > index.covered_size - spot.offset) {
      reason = fmt::format("event {} has a type or place outside the file's", i);
      return std::nullopt;
    }
    end = spot.offset + spot.size;
    index.events.push_back(spot);
  }
  for (std::uint32_t i = 0; i < batch_count && !r.failed(); ++i) {
    std::uint64_t position = r.u64();
    auto timestamp = static_cast<std::int64_t>(r.u64());
    bool ordered =
        index.batch_times.empty() ? position == base : position > index.batch_times.back().first;
    if (!r.failed() && (!ordered || position >= index.next_position)) {
      reason = fmt::format("batch {} starts at position {}", i, position);
      return std::nullopt;
    }
    index.batch_times.emplace_back(position, timestamp);
  }
  for (std::uint32_t i = 0; i < tag_count && !r.failed(); ++i) {
    std::string tag(r.bytes(r.u16()));
    std::uint32_t count = r.u32();
    if (count > r.remaining()) break;
    std::vector<std::uint64_t> positions;
    positions.reserve(count);
    std::uint64_t position = base;
    for (std::uint32_t k = 0; k < count && !r.failed(); ++k) {
      position += r.varint();
      if (position >= index.next_position || (k > 0 && position == positions.back())) {
        reason = fmt::format("tag {} lists position {} twice or past the segment", i, position);
        return std::nullopt;
      }
      positions.push_back(position);
    }
    index.tags.emplace(std::move(tag), std::move(positions));
  }
  if (r.failed() || r.remaining() != 0 || index.tags.size() != tag_count) {
    reason = "malformed";
    return std::nullopt;
  }
  return index;
}

}  // namespace annal::segment
