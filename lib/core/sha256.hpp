// SHA-256 digests (OpenSSL), for the hash chain and Merkle tree of the log.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace annal::detail {

/// A SHA-256 digest.
using sha256_digest = std::array<std::uint8_t, 32>;

/// The SHA-256 digest of `bytes`. Never throws; thread-safe.
sha256_digest sha256(std::span<const std::uint8_t> bytes) noexcept;
/// The SHA-256 digest of the bytes of `text`.
sha256_digest sha256(std::string_view text) noexcept;

/// A digest over several pieces, fed in order: the same as sha256() of their concatenation.
/// Not thread-safe; one per thread.
class sha256_hasher {
 public:
  sha256_hasher() noexcept;
  sha256_hasher& add(std::span<const std::uint8_t> bytes) noexcept;
  sha256_hasher& add(std::uint8_t byte) noexcept;
  /// The digest of everything added. The hasher must not be used afterwards.
  sha256_digest finish() noexcept;

 private:
  alignas(64) std::array<std::uint8_t, 128> state_;
};

/// 64 lower-case hex digits.
std::string to_hex(const sha256_digest& digest);
/// The digest `hex` spells (64 hex digits, either case); false, `out` unspecified, otherwise.
bool from_hex(std::string_view hex, sha256_digest& out) noexcept;

}  // namespace annal::detail
