// A directory that exists for the life of a test and is removed after it.
#pragma once

#include <filesystem>
#include <string>

namespace annal::test {

/// Creates a fresh directory under the system temporary directory; removes it on destruction.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  /// A path inside the directory.
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace annal::test
