// A per-test temporary directory.
#include "support/temp_dir.hpp"

#include <stdlib.h>

#include <system_error>

namespace annal::test {

temp_dir::temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "annal-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp");
  }
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace annal::test
