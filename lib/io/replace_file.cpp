// replace_file(): temporary file, sync, rename.
#include "io/replace_file.hpp"

#include <cstddef>
#include <span>

#include "annal/error.hpp"

namespace annal::io {

void replace_file(file_system& fs, const std::string& path, const std::string& temporary,
                  std::string_view bytes) {
  try {
    auto file = fs.open(temporary, open_mode::read_write);
    if (file->size() != 0) file->truncate(0);
    file->append(std::as_bytes(std::span(bytes.data(), bytes.size())));
    file->sync();
    file.reset();
    fs.rename(temporary, path);
  } catch (const io_error&) {
    try {
      fs.remove(temporary);
    } catch (const io_error&) {
      // Left for the next open to remove; the first failure is the one to report.
    }
    throw;
  }
}

}  // namespace annal::io
