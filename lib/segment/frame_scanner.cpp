// Frame-by-frame reading of a segment, with the torn-tail rules of docs/storage-format.md.
#include "segment/frame_scanner.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "annal/error.hpp"
#include "segment/byte_io.hpp"
#include "segment/segment_format.hpp"

namespace annal::segment {
namespace {

// Large enough that a read costs little per frame, small enough that the part of the last chunk
// a bounded read does not use is little.
constexpr std::uint64_t read_chunk = 128u << 10;

}  // namespace

frame_scanner::frame_scanner(const io::file& file, std::uint64_t offset, std::uint64_t end,
                             std::uint64_t next_position)
    : file_(file), offset_(offset), end_(end), next_position_(next_position), buf_start_(offset) {}

std::string_view frame_scanner::view(std::uint64_t at, std::uint64_t size) const {
  return std::string_view(buf_.get() + (at - buf_start_), size);
}

bool frame_scanner::fill(std::uint64_t need) {
  if (offset_ + need > end_) return false;
  if (offset_ >= buf_start_ && offset_ + need <= buf_start_ + buf_size_) return true;
  std::uint64_t size = std::min(std::max(need, read_chunk), end_ - offset_);
  if (size > buf_capacity_) {
    buf_ = std::make_unique_for_overwrite<char[]>(size);
    buf_capacity_ = size;
  }
  buf_size_ = file_.read_at(offset_, {reinterpret_cast<std::byte*>(buf_.get()), size});
  buf_start_ = offset_;
  return buf_size_ >= need;
}

// Looks for a frame that starts after `at`, has a good checksum and a position at or past the
// expected one. Only called on the failure path; candidates are filtered cheaply by type,
// length and position before their checksum is computed.
bool frame_scanner::valid_frame_after(std::uint64_t at) {
  std::string rest(end_ - at, '\0');  // the failure path only
  rest.resize(file_.read_at(at, {reinterpret_cast<std::byte*>(rest.data()), rest.size()}));
  for (std::size_t i = 1; i + frame_header_size + batch_fixed_size <= rest.size(); ++i) {
    auto type = static_cast<std::uint8_t>(rest[i + 8]);
    if (!is_batch_frame_type(type)) continue;
    byte_reader r(std::string_view(rest).substr(i));
    std::uint32_t crc = r.u32();
    std::uint32_t length = r.u32();
    r.u8();
    std::uint64_t position = r.u64();
    if (length < batch_fixed_size || length > rest.size() - i - frame_header_size) continue;
    if (position < next_position_ || position - next_position_ > (std::uint64_t{1} << 40)) {
      continue;
    }
    std::string_view body = std::string_view(rest).substr(i + frame_header_size, length);
    if (frame_crc(length, type, body) == crc) return true;
  }
  return false;
}

// A crash can leave a partly written, zero-filled or garbled last frame, but a valid frame after
// a bad one means the bad one was once good: damage, not a torn tail.
scanned_frame frame_scanner::tail_or_corrupt(std::string reason) {
  scanned_frame s;
  s.offset = offset_;
  s.reason = std::move(reason);
  s.status = valid_frame_after(offset_) ? scan_status::corrupt : scan_status::torn_tail;
  return s;
}

scanned_frame frame_scanner::next() {
  if (offset_ == end_) return {scan_status::end, offset_, 0, std::nullopt, {}};
  if (!fill(frame_header_size)) {
    return {scan_status::torn_tail, offset_, 0, std::nullopt,
            fmt::format("incomplete frame header ({} bytes)", end_ - offset_)};
  }
  byte_reader header(view(offset_, frame_header_size));
  std::uint32_t crc = header.u32();
  std::uint32_t length = header.u32();
  std::uint8_t type = header.u8();
  if (!is_batch_frame_type(type) || length > max_frame_body) {
    return tail_or_corrupt(fmt::format("invalid frame header (type {}, length {})", type, length));
  }
  std::uint64_t frame_size = frame_header_size + std::uint64_t{length};
  if (offset_ + frame_size > end_) {
    return tail_or_corrupt(
        fmt::format("incomplete frame: {} of {} bytes", end_ - offset_, frame_size));
  }
  if (!fill(frame_size)) return tail_or_corrupt("the file is shorter than its size");
  std::string_view body = view(offset_ + frame_header_size, length);
  if (frame_crc(length, type, body) != crc) return tail_or_corrupt("frame checksum mismatch");
  std::string reason;
  auto batch = batch_view::parse_frame(type, body, reason);
  if (!batch) return {scan_status::corrupt, offset_, 0, std::nullopt, reason};
  if (batch->first_position() != next_position_) {
    return {scan_status::corrupt, offset_, 0, std::nullopt,
            fmt::format("frame starts at position {}, expected {}", batch->first_position(),
                        next_position_)};
  }
  scanned_frame s{scan_status::frame, offset_, frame_size, batch, {}};
  offset_ += frame_size;
  next_position_ = batch->last_position() + 1;
  return s;
}

batch_view read_frame_at(const io::file& file, const std::string& path, std::uint64_t offset,
                         std::string& buffer) {
  char head[frame_header_size];
  if (file.read_at(offset, {reinterpret_cast<std::byte*>(head), sizeof head}) != sizeof head) {
    throw corruption(path, static_cast<std::int64_t>(offset), "indexed frame is past the end");
  }
  byte_reader r({head, sizeof head});
  std::uint32_t crc = r.u32();
  std::uint32_t length = r.u32();
  std::uint8_t type = r.u8();
  if (!is_batch_frame_type(type) || length > max_frame_body) {
    throw corruption(path, static_cast<std::int64_t>(offset), "indexed frame has a bad header");
  }
  buffer.resize(length);
  if (file.read_at(offset + frame_header_size,
                   {reinterpret_cast<std::byte*>(buffer.data()), length}) != length) {
    throw corruption(path, static_cast<std::int64_t>(offset), "indexed frame is truncated");
  }
  if (frame_crc(length, type, buffer) != crc) {
    throw corruption(path, static_cast<std::int64_t>(offset), "frame checksum mismatch");
  }
  std::string reason;
  auto batch = batch_view::parse_frame(type, buffer, reason);
  if (!batch) throw corruption(path, static_cast<std::int64_t>(offset), reason);
  return *batch;
}

}  // namespace annal::segment
