// The lead of one projection on a SQLite read model across processes: an exclusive flock() on a
// lock file beside the database.
#pragma once

#include <string>

namespace annal::projection_detail {

/// The name of the lock file of projection `name` on the SQLite read model `database`:
/// "<database>-lead-<name>".
std::string lead_lock_path(const std::string& database, const std::string& name);

/// An exclusive, non-blocking flock() on a lock file, held while this object lives. The kernel
/// releases it when the descriptor closes, also when the process dies, so a standby can take over
/// at once. The lock belongs to this open file description: a second object in the same process
/// does not get it either. The lock file is created when missing and never deleted (deleting it
/// while held would let a second holder lock a new file: still_held() then says false). Local
/// file systems only (over NFS flock() is emulated with byte-range locks). Move-only; not
/// thread-safe.
class lead_lock_file {
 public:
  /// Tries to take the lock on `path`: has_lead() says whether it did. Throws annal::io_error
  /// when the file cannot be created or opened, or flock() fails other than by being held.
  explicit lead_lock_file(std::string path);
  ~lead_lock_file();
  lead_lock_file(lead_lock_file&& other) noexcept;
  lead_lock_file& operator=(lead_lock_file&&) = delete;
  lead_lock_file(const lead_lock_file&) = delete;
  lead_lock_file& operator=(const lead_lock_file&) = delete;

  /// Whether the lock was taken.
  bool has_lead() const noexcept { return locked_; }
  /// Whether the lock is still taken and the file at the path is still the locked one (not
  /// deleted or replaced). Never throws.
  bool still_held() const noexcept;

 private:
  std::string path_;
  int fd_ = -1;
  bool locked_ = false;
};

}  // namespace annal::projection_detail
