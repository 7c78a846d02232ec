// Tests of CRC-32C: published check values, hardware and table paths agreeing, chaining.
#include "core/crc32c.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

using annal::detail::crc32c;
using annal::detail::crc32c_portable;
using annal::detail::crc32c_uses_hardware;

namespace {

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

std::vector<std::byte> filled(std::size_t n, unsigned char value) {
  return std::vector<std::byte>(n, std::byte{value});
}

}  // namespace

TEST_CASE("crc32c matches the published check values", "[crc32c]") {
  CHECK(crc32c({}) == 0u);
  CHECK(crc32c(bytes_of("123456789")) == 0xE3069283u);
  CHECK(crc32c(filled(32, 0x00)) == 0x8A9136AAu);
  CHECK(crc32c(filled(32, 0xFF)) == 0x62A8AB43u);
}

TEST_CASE("crc32c_portable matches the published check values", "[crc32c]") {
  CHECK(crc32c_portable({}) == 0u);
  CHECK(crc32c_portable(bytes_of("123456789")) == 0xE3069283u);
  CHECK(crc32c_portable(filled(32, 0x00)) == 0x8A9136AAu);
  CHECK(crc32c_portable(filled(32, 0xFF)) == 0x62A8AB43u);
}

TEST_CASE("the hardware and table paths agree on every length and alignment", "[crc32c]") {
  INFO("crc32c uses hardware: " << crc32c_uses_hardware());
  std::mt19937_64 random(42);
  std::vector<std::byte> buffer(300 + 16);
  for (auto& b : buffer) b = static_cast<std::byte>(random());
  for (std::size_t length = 0; length <= 300; ++length) {
    for (std::size_t align = 0; align < 16; align += 3) {
      CAPTURE(length, align);
      auto data = std::span<const std::byte>(buffer).subspan(align, length);
      std::uint32_t seed = static_cast<std::uint32_t>(random());
      REQUIRE(crc32c(data) == crc32c_portable(data));
      REQUIRE(crc32c(data, seed) == crc32c_portable(data, seed));
    }
  }
}

TEST_CASE("crc32c detects a single flipped bit", "[crc32c]") {
  std::vector<std::byte> data = filled(64, 0x5A);
  std::uint32_t original = crc32c(data);
  data[37] ^= std::byte{0x10};
  CHECK(crc32c(data) != original);
  CHECK(crc32c_portable(data) == crc32c(data));
}

TEST_CASE("crc32c continues a running checksum: crc(b, crc(a)) == crc(a + b)", "[crc32c]") {
  std::string_view text = "The quick brown fox jumps over the lazy dog, twice over.";
  for (std::size_t split = 0; split <= text.size(); ++split) {
    CAPTURE(split);
    auto first = bytes_of(text.substr(0, split));
    auto rest = bytes_of(text.substr(split));
    REQUIRE(crc32c(rest, crc32c(first)) == crc32c(bytes_of(text)));
    REQUIRE(crc32c_portable(rest, crc32c_portable(first)) == crc32c_portable(bytes_of(text)));
  }
  CHECK(crc32c(bytes_of("6789"), crc32c(bytes_of("12345"))) == 0xE3069283u);
}

#if defined(__x86_64__) || defined(__i386__)
TEST_CASE("crc32c uses the crc32 instruction when the CPU has SSE4.2", "[crc32c]") {
  __builtin_cpu_init();
  CHECK(crc32c_uses_hardware() == static_cast<bool>(__builtin_cpu_supports("sse4.2")));
}
#endif

TEST_CASE("the three-block hardware path agrees with the tables on long buffers", "[crc32c]") {
  // Lengths around the 3 x 256 and 3 x 8192 byte thresholds where blocks are run side by side.
  std::mt19937 random(11);
  std::vector<std::byte> data(3 * 8192 * 3 + 777);
  for (auto& b : data) b = static_cast<std::byte>(random());
  for (std::size_t length : {767u, 768u, 769u, 1000u, 3 * 256u * 5 + 3, 24575u, 24576u, 24577u,
                             50000u, 3 * 8192u * 3 + 777}) {
    for (std::size_t offset : {0u, 1u, 5u}) {
      if (offset + length > data.size()) continue;
      std::span<const std::byte> part(data.data() + offset, length);
      CAPTURE(length, offset);
      REQUIRE(annal::detail::crc32c(part) == annal::detail::crc32c_portable(part));
      REQUIRE(annal::detail::crc32c(part, 0x12345678u) ==
              annal::detail::crc32c_portable(part, 0x12345678u));
    }
  }
}
