// The byte layout every digest of the log shares: little-endian integers, length-prefixed strings.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>

#include "core/sha256.hpp"

namespace annal::detail {

/// Writes a digest's fields into `hasher` through a buffer, so that the hasher sees few calls:
/// each call has a fixed cost that, on a 200-byte event, weighed as much as the hashing itself.
/// Integers are little endian; a string is its byte length as a u32, then its bytes. Not
/// thread-safe; must not outlive `hasher`.
class digest_writer {
 public:
  explicit digest_writer(sha256_hasher& hasher) noexcept : hasher_(hasher) {}
  digest_writer(const digest_writer&) = delete;
  digest_writer& operator=(const digest_writer&) = delete;

  template <class T>
  void integer(T value) noexcept {
    std::array<std::uint8_t, sizeof(T)> bytes;
    auto u = static_cast<std::make_unsigned_t<T>>(value);
    for (std::size_t i = 0; i < sizeof(T); ++i) bytes[i] = static_cast<std::uint8_t>(u >> (8 * i));
    this->bytes(bytes);
  }
  void text(std::string_view s) noexcept {
    integer(static_cast<std::uint32_t>(s.size()));
    bytes({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
  }
  void bytes(std::span<const std::uint8_t> b) noexcept {
    if (used_ + b.size() > buffer_.size()) {
      flush();
      if (b.size() > buffer_.size()) {
        hasher_.add(b);
        return;
      }
    }
    if (!b.empty()) std::memcpy(buffer_.data() + used_, b.data(), b.size());
    used_ += b.size();
  }
  /// The digest of everything written. The writer and its hasher must not be used afterwards.
  sha256_digest finish() noexcept {
    flush();
    return hasher_.finish();
  }

 private:
  void flush() noexcept {
    if (used_ != 0) hasher_.add({buffer_.data(), used_});
    used_ = 0;
  }

  sha256_hasher& hasher_;
  std::array<std::uint8_t, 512> buffer_;
  std::size_t used_ = 0;
};

}  // namespace annal::detail
