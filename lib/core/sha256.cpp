// SHA-256 through libsodium's crypto_hash_sha256.
#include "core/sha256.hpp"

#include <sodium.h>

#include <charconv>
#include <new>

namespace annal::detail {

namespace {

static_assert(sizeof(crypto_hash_sha256_state) <= 128, "sha256_hasher's state is too small");

crypto_hash_sha256_state* state_of(std::array<std::uint8_t, 128>& storage) noexcept {
  return std::launder(reinterpret_cast<crypto_hash_sha256_state*>(storage.data()));
}

}  // namespace

sha256_digest sha256(std::span<const std::uint8_t> bytes) noexcept {
  sha256_digest out;
  crypto_hash_sha256(out.data(), bytes.data(), bytes.size());
  return out;
}

sha256_digest sha256(std::string_view text) noexcept {
  return sha256(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

sha256_hasher::sha256_hasher() noexcept {
  crypto_hash_sha256_init(::new (static_cast<void*>(state_.data())) crypto_hash_sha256_state);
}

sha256_hasher& sha256_hasher::add(std::span<const std::uint8_t> bytes) noexcept {
  crypto_hash_sha256_update(state_of(state_), bytes.data(), bytes.size());
  return *this;
}

sha256_hasher& sha256_hasher::add(std::uint8_t byte) noexcept { return add(std::span(&byte, 1)); }

sha256_digest sha256_hasher::finish() noexcept {
  sha256_digest out;
  crypto_hash_sha256_final(state_of(state_), out.data());
  return out;
}

std::string to_hex(const sha256_digest& digest) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (auto b : digest) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

bool from_hex(std::string_view hex, sha256_digest& out) noexcept {
  if (hex.size() != 2 * out.size()) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto [end, ec] = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, out[i], 16);
    if (ec != std::errc() || end != hex.data() + 2 * i + 2) return false;
  }
  return true;
}

}  // namespace annal::detail
