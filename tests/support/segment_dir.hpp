// What a segment store's directory holds, for tests that watch its files change.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace annal::test {

/// How many segment files (".seg") `dir` holds.
std::size_t segment_file_count(const std::filesystem::path& dir);

/// The bytes of the segment files in `dir`; a file removed while they are counted counts 0.
std::uintmax_t segment_file_bytes(const std::filesystem::path& dir);

}  // namespace annal::test
