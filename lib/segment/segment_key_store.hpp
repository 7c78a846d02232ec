// The segment backend's key store: one small checksummed file per subject in DIR/keys/.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/key_store.hpp"
#include "io/file_system.hpp"

namespace annal::segment {

/// The directory of the key files, beside the segments.
inline constexpr std::string_view key_dir_name = "keys";

/// Subjects' keys as files named by the hex SHA-256 of the subject, written and read only
/// through an io::file_system (format in docs/storage-format.md, "Segment backend keys"). A key
/// is created by writing a temporary file, syncing it, renaming it into place and syncing the
/// directory, so it is durable before the event that needs it is appended; forget() replaces the
/// file the same way by a forgotten marker, so the key's bytes leave the file system's name
/// space at once (their blocks are freed, not overwritten: docs/privacy.md).
///
/// Thread-safe: calls are serialised by a mutex (the store's directory lock keeps other
/// processes out). Throws as detail::key_store documents; a key file that is torn, damaged or
/// names another subject throws annal::corruption naming it.
class key_file_store final : public detail::key_store {
 public:
  /// Uses the key files in `dir` (created when missing), removing temporary files a crash left.
  /// Throws annal::io_error when the directory cannot be created or listed.
  key_file_store(std::string dir, std::shared_ptr<io::file_system> fs);

  detail::key_record find(std::string_view subject) override;
  detail::key_record create(std::string_view subject, const detail::subject_key& key) override;
  detail::key_record::state forget(std::string_view subject) override;

  /// The path of the key file of `subject`.
  std::string path_of(std::string_view subject) const;

 private:
  detail::key_record read(std::string_view subject);
  void write(std::string_view subject, const detail::key_record& record);

  std::string dir_;
  std::shared_ptr<io::file_system> fs_;
  std::mutex mutex_;
};

}  // namespace annal::segment
