// Little-endian encoding helpers for the segment formats: an appending writer and a bounds-checked
// reader.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace annal::segment {

/// Appends little-endian integers and byte strings to a buffer.
class byte_writer {
 public:
  explicit byte_writer(std::string& out) noexcept : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) { put(v, 2); }
  void u32(std::uint32_t v) { put(v, 4); }
  void u64(std::uint64_t v) { put(v, 8); }
  void bytes(std::string_view b) { out_.append(b); }

 private:
  void put(std::uint64_t v, int n) {
    char b[8];
    for (int i = 0; i < n; ++i) b[i] = static_cast<char>(v >> (8 * i));
    out_.append(b, static_cast<std::size_t>(n));
  }
  std::string& out_;
};

/// Reads little-endian integers and byte strings from a buffer. Reading past the end sets
/// failed() and yields zeros, so a decoder checks once at the end instead of at every field.
class byte_reader {
 public:
  explicit byte_reader(std::string_view in) noexcept : in_(in) {}
  std::uint8_t u8() { return static_cast<std::uint8_t>(get(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(get(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(get(4)); }
  std::uint64_t u64() { return get(8); }
  /// An unsigned LEB128 value of at most 32 bits (at most 5 bytes).
  std::uint32_t varint() {
    std::uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      std::uint8_t b = u8();
      if (failed_) return 0;
      if (shift == 28 && b > 0x0f) break;  // more than 32 bits
      v |= static_cast<std::uint32_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    failed_ = true;
    return 0;
  }
  std::string_view bytes(std::size_t n) {
    if (n > in_.size() - at_ || failed_) {
      failed_ = true;
      return {};
    }
    std::string_view b = in_.substr(at_, n);
    at_ += n;
    return b;
  }
  bool failed() const noexcept { return failed_; }
  std::size_t remaining() const noexcept { return failed_ ? 0 : in_.size() - at_; }
  std::size_t offset() const noexcept { return at_; }
  /// The bytes read since offset `from` (at most offset()).
  std::string_view read_since(std::size_t from) const noexcept {
    return in_.substr(from, at_ - from);
  }

 private:
  std::uint64_t get(std::size_t n) {
    if (n > in_.size() - at_ || failed_) {
      failed_ = true;
      return 0;
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in_[at_ + i])) << (8 * i);
    }
    at_ += n;
    return v;
  }
  std::string_view in_;
  std::size_t at_ = 0;
  bool failed_ = false;
};

/// How many bytes the LEB128 form of `v` takes.
constexpr std::size_t varint_size(std::uint32_t v) noexcept {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

/// Writes LEB128 `v` at `out`; returns the byte after it.
inline char* put_varint(char* out, std::uint32_t v) noexcept {
  while (v >= 0x80) {
    *out++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *out++ = static_cast<char>(v);
  return out;
}

/// A growable byte buffer whose new bytes are not zero-filled: the writer fills them.
class byte_buffer {
 public:
  /// Appends `n` bytes of unspecified content and returns where they start.
  char* extend(std::size_t n) {
    if (size_ + n > capacity_) {
      std::size_t capacity = std::max(size_ + n, capacity_ * 2);
      auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
      if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
      data_ = std::move(bigger);
      capacity_ = capacity;
    }
    char* at = data_.get() + size_;
    size_ += n;
    return at;
  }
  void clear() noexcept { size_ = 0; }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  std::string_view view() const noexcept { return {data_.get(), size_}; }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

/// The bytes of a string, for the file and CRC interfaces.
inline std::span<const std::byte> as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace annal::segment
