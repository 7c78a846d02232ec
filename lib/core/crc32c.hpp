// CRC-32C (Castagnoli), the checksum of every frame, header and index file on disk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace annal::detail {

/// The CRC-32C of `data`, continuing the running checksum `crc` (0 to start), so that
/// crc32c(b, crc32c(a)) == crc32c(a + b). Uses the SSE4.2 crc32 instruction when the CPU has it
/// (chosen once, at the first call), else crc32c_portable(). Never throws; thread-safe.
std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc = 0) noexcept;

/// The same checksum computed with tables (slicing-by-8) on every CPU. Never throws;
/// thread-safe.
std::uint32_t crc32c_portable(std::span<const std::byte> data, std::uint32_t crc = 0) noexcept;

/// True when crc32c() uses the CPU's crc32 instruction. Never throws; thread-safe.
bool crc32c_uses_hardware() noexcept;

}  // namespace annal::detail
