// require_store_path(): what is at a store URI's path, said in one line.
#include "backends/store_location.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <filesystem>

#include "annal/error.hpp"

namespace annal::detail {

void require_store_path(const store_uri& uri, bool directory) {
  namespace fs = std::filesystem;
  const char* wanted = directory ? "segment store directory" : "SQLite database file";
  std::error_code error;
  fs::file_type type = fs::status(uri.path, error).type();
  if (type == fs::file_type::not_found) {
    throw io_error(ENOENT, uri.path,
                   fmt::format("no {} store here: the {} does not exist", uri.scheme,
                               directory ? "directory" : "file"));
  }
  if (error) {
    throw io_error(error.value(), uri.path, "cannot look at the path: " + error.message());
  }
  if (type == (directory ? fs::file_type::directory : fs::file_type::regular)) return;
  const char* found = type == fs::file_type::directory ? "a directory"
                      : type == fs::file_type::regular ? "a file"
                      : type == fs::file_type::fifo    ? "a named pipe"
                      : type == fs::file_type::socket  ? "a socket"
                      : type == fs::file_type::block || type == fs::file_type::character
                          ? "a device"
                          : "not a file or directory";
  throw io_error(directory ? ENOTDIR : EISDIR, uri.path,
                 fmt::format("no {} store here: it is {}, not a {}", uri.scheme, found, wanted));
}

}  // namespace annal::detail
