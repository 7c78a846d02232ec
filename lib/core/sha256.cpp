// SHA-256 through OpenSSL's SHA256 functions, which use the CPU's SHA instructions when it has
// them (four times libsodium's portable code on short inputs, see docs/benchmarks.md).
#include "core/sha256.hpp"

// The one-call SHA256_* functions are deprecated in OpenSSL 3 in favour of EVP, which allocates a
// context per digest and takes twice as long on the short inputs digests of events are made of.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <charconv>
#include <new>

namespace annal::detail {

namespace {

static_assert(sizeof(SHA256_CTX) <= 128, "sha256_hasher's state is too small");

SHA256_CTX* state_of(std::array<std::uint8_t, 128>& storage) noexcept {
  return std::launder(reinterpret_cast<SHA256_CTX*>(storage.data()));
}

}  // namespace

sha256_digest sha256(std::span<const std::uint8_t> bytes) noexcept {
  // Not OpenSSL's one-call SHA256(), which fetches the algorithm through the provider store (two
  // lock operations) on every call.
  SHA256_CTX context;
  SHA256_Init(&context);
  SHA256_Update(&context, bytes.data(), bytes.size());
  sha256_digest out;
  SHA256_Final(out.data(), &context);
  return out;
}

sha256_digest sha256(std::string_view text) noexcept {
  return sha256(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

sha256_hasher::sha256_hasher() noexcept {
  SHA256_Init(::new (static_cast<void*>(state_.data())) SHA256_CTX);
}

sha256_hasher& sha256_hasher::add(std::span<const std::uint8_t> bytes) noexcept {
  SHA256_Update(state_of(state_), bytes.data(), bytes.size());
  return *this;
}

sha256_hasher& sha256_hasher::add(std::uint8_t byte) noexcept { return add(std::span(&byte, 1)); }

sha256_digest sha256_hasher::finish() noexcept {
  sha256_digest out;
  SHA256_Final(out.data(), state_of(state_));
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
