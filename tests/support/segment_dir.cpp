// Counting a segment store's files.
#include "support/segment_dir.hpp"

#include <system_error>

namespace annal::test {

std::size_t segment_file_count(const std::filesystem::path& dir) {
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    count += entry.path().extension() == ".seg";
  }
  return count;
}

std::uintmax_t segment_file_bytes(const std::filesystem::path& dir) {
  std::uintmax_t bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::error_code removed_meanwhile;
    auto size = std::filesystem::file_size(entry.path(), removed_meanwhile);
    if (entry.path().extension() == ".seg" && !removed_meanwhile) bytes += size;
  }
  return bytes;
}

}  // namespace annal::test
