// CRC-32C with the SSE4.2 instruction where the CPU has it and slicing-by-8 tables elsewhere.
#include "core/crc32c.hpp"

#include <array>
#include <cstring>
#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define ANNAL_CRC32C_X86 1
#endif

namespace annal::detail {

namespace {

// The reflected Castagnoli polynomial.
constexpr std::uint32_t polynomial = 0x82F63B78u;

using crc_tables = std::array<std::array<std::uint32_t, 256>, 8>;

// tables[0] is the byte-at-a-time table; tables[k][b] is the CRC of byte b followed by k zero
// bytes, which lets the loop below fold eight input bytes with eight independent lookups.
constexpr crc_tables make_tables() {
  crc_tables tables{};
  for (std::uint32_t b = 0; b < 256; ++b) {
    std::uint32_t crc = b;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) ? polynomial : 0u);
    tables[0][b] = crc;
  }
  for (std::size_t k = 1; k < tables.size(); ++k) {
    for (std::size_t b = 0; b < 256; ++b) {
      std::uint32_t previous = tables[k - 1][b];
      tables[k][b] = (previous >> 8) ^ tables[0][previous & 0xFFu];
    }
  }
  return tables;
}

constexpr crc_tables tables = make_tables();

// Works on the inverted register: callers invert on entry and exit. Bytes are read one at a
// time, so the result does not depend on the CPU's byte order.
std::uint32_t update_portable(std::uint32_t crc, const unsigned char* p, std::size_t n) noexcept {
  while (n >= 8) {
    std::uint32_t low = crc ^ (std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 |
                               std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24);
    crc = tables[7][low & 0xFFu] ^ tables[6][(low >> 8) & 0xFFu] ^ tables[5][(low >> 16) & 0xFFu] ^
          tables[4][low >> 24] ^ tables[3][p[4]] ^ tables[2][p[5]] ^ tables[1][p[6]] ^
          tables[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = (crc >> 8) ^ tables[0][(crc ^ *p++) & 0xFFu];
  return crc;
}

#ifdef ANNAL_CRC32C_X86
// The crc32 instruction has a latency of three cycles but can start one every cycle, so long
// buffers are split into three blocks whose CRCs run side by side and are then joined: the CRC
// register is linear, so crc(A + B) = shift(crc(A), |B|) ^ crc(B from zero), where shift applies
// |B| zero bytes. Each shift is four table lookups.
constexpr std::size_t long_block = 8192;
constexpr std::size_t short_block = 256;

using shift_tables = std::array<std::array<std::uint32_t, 256>, 4>;

// A 32x32 matrix over GF(2), as its columns: the images of the register's 32 basis vectors.
using gf2_matrix = std::array<std::uint32_t, 32>;

std::uint32_t times(const gf2_matrix& m, std::uint32_t v) noexcept {
  std::uint32_t out = 0;
  for (int i = 0; v != 0; ++i, v >>= 1) {
    if (v & 1u) out ^= m[i];
  }
  return out;
}

gf2_matrix product(const gf2_matrix& a, const gf2_matrix& b) noexcept {
  gf2_matrix out{};
  for (int i = 0; i < 32; ++i) out[i] = times(a, b[i]);
  return out;
}

// The operator that feeds `bytes` zero bytes through the (reflected) register.
gf2_matrix zeros_operator(std::size_t bytes) noexcept {
  gf2_matrix bit{};  // one zero bit: shift right, folding the polynomial in for the low bit
  bit[0] = polynomial;
  for (int i = 1; i < 32; ++i) bit[i] = 1u << (i - 1);
  gf2_matrix byte = product(bit, bit);
  byte = product(byte, byte);
  byte = product(byte, byte);
  gf2_matrix result{};
  for (int i = 0; i < 32; ++i) result[i] = 1u << i;  // identity
  for (gf2_matrix power = byte; bytes != 0; bytes >>= 1, power = product(power, power)) {
    if (bytes & 1u) result = product(power, result);
  }
  return result;
}

shift_tables make_shift_tables(std::size_t bytes) noexcept {
  gf2_matrix op = zeros_operator(bytes);
  shift_tables t{};
  for (int k = 0; k < 4; ++k) {
    for (std::uint32_t b = 0; b < 256; ++b) t[k][b] = times(op, b << (8 * k));
  }
  return t;
}

std::uint32_t shift(const shift_tables& t, std::uint32_t crc) noexcept {
  return t[0][crc & 0xFFu] ^ t[1][(crc >> 8) & 0xFFu] ^ t[2][(crc >> 16) & 0xFFu] ^ t[3][crc >> 24];
}

const shift_tables& long_shift() noexcept {
  static const shift_tables t = make_shift_tables(long_block);
  return t;
}

const shift_tables& short_shift() noexcept {
  static const shift_tables t = make_shift_tables(short_block);
  return t;
}

#if defined(__x86_64__)
// CRCs three consecutive blocks of `block` bytes at once and joins them into `crc`.
__attribute__((target("sse4.2"))) std::uint64_t three_blocks(std::uint64_t crc,
                                                             const unsigned char* p,
                                                             std::size_t block,
                                                             const shift_tables& t) noexcept {
  std::uint64_t crc1 = 0;
  std::uint64_t crc2 = 0;
  for (std::size_t i = 0; i < block; i += 8) {
    std::uint64_t a, b, c;
    std::memcpy(&a, p + i, 8);
    std::memcpy(&b, p + block + i, 8);
    std::memcpy(&c, p + 2 * block + i, 8);
    crc = _mm_crc32_u64(crc, a);
    crc1 = _mm_crc32_u64(crc1, b);
    crc2 = _mm_crc32_u64(crc2, c);
  }
  crc = shift(t, static_cast<std::uint32_t>(crc)) ^ static_cast<std::uint32_t>(crc1);
  return shift(t, static_cast<std::uint32_t>(crc)) ^ static_cast<std::uint32_t>(crc2);
}
#endif

// Only called after __builtin_cpu_supports("sse4.2"), so the rest of the build needs no -msse4.2.
__attribute__((target("sse4.2"))) std::uint32_t update_hardware(std::uint32_t crc,
                                                                const unsigned char* p,
                                                                std::size_t n) noexcept {
#if defined(__x86_64__)
  std::uint64_t crc64 = crc;
  for (auto [block, table] :
       {std::pair{long_block, &long_shift}, std::pair{short_block, &short_shift}}) {
    if (n < 3 * block) continue;
    const shift_tables& t = table();
    for (; n >= 3 * block; p += 3 * block, n -= 3 * block) crc64 = three_blocks(crc64, p, block, t);
  }
  while (n >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof word);
    crc64 = _mm_crc32_u64(crc64, word);
    p += 8;
    n -= 8;
  }
  crc = static_cast<std::uint32_t>(crc64);
#endif
  while (n >= 4) {
    std::uint32_t word;
    std::memcpy(&word, p, sizeof word);
    crc = _mm_crc32_u32(crc, word);
    p += 4;
    n -= 4;
  }
  while (n-- > 0) crc = _mm_crc32_u8(crc, *p++);
  return crc;
}
#endif
using update_function = std::uint32_t (*)(std::uint32_t, const unsigned char*,
                                          std::size_t) noexcept;

update_function choose_update() noexcept {
#ifdef ANNAL_CRC32C_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.2")) return update_hardware;
#endif
  return update_portable;
}

// A function-local static: initialised once, at the first call, without a data race.
update_function selected_update() noexcept {
  static const update_function selected = choose_update();
  return selected;
}

const unsigned char* bytes_of(std::span<const std::byte> data) noexcept {
  return reinterpret_cast<const unsigned char*>(data.data());
}

}  // namespace

std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc) noexcept {
  return ~selected_update()(~crc, bytes_of(data), data.size());
}

std::uint32_t crc32c_portable(std::span<const std::byte> data, std::uint32_t crc) noexcept {
  return ~update_portable(~crc, bytes_of(data), data.size());
}

bool crc32c_uses_hardware() noexcept { return selected_update() != update_portable; }

}  // namespace annal::detail
