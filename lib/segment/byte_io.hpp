// Little-endian encoding helpers for the segment formats: an appending writer and a bounds-checked reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
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

/// The bytes of a string, for the file and CRC interfaces.
inline std::span<const std::byte> as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace annal::segment
