// An in-memory file_system for tests that simulates power cuts and injects I/O errors.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/file_system.hpp"

namespace annal::io {

namespace detail {
struct fault_state;
}  // namespace detail

/// What happens to the bytes written since a file's last sync() when crash() cuts the power.
enum class crash_mode {
  drop_unsynced,       ///< They vanish: every file is exactly as it was at its last sync().
  keep_random_prefix,  ///< A random-length prefix of them survives, per file.
  garble_tail,         ///< A random-length prefix survives with some of its bytes replaced by
                       ///< random bytes or zeros.
};

/// How an injected fault fails its operation.
enum class fault_kind {
  fail,         ///< The operation changes nothing and throws.
  short_write,  ///< An append writes about half of its data, then throws; other operations
                ///< fail as with `fail`.
};

/// A file_system held in memory that models durability the way SQLite's crash tests and
/// LevelDB's fault-injection Env do, for crash tests and fuzzers.
///
/// Durability model. Each file has its current bytes and its durable bytes; file::sync() makes
/// the current bytes durable. Each directory has its current listing and its durable listing;
/// sync_dir() makes the current listing durable, so the creation (by open() in read_write mode
/// or lock()), rename() and remove() of a file survive crash() only after a sync_dir() of the
/// directories involved. Unsynced changes to a file (appends and truncations) are kept in the
/// order they were made, and crash() replays none, a prefix or all of them according to its
/// crash_mode. Directories themselves are durable as soon as create_dir() returns.
///
/// Paths are plain strings: repeated and trailing '/' are ignored, and the part before the last
/// '/' is the directory ("" for the root and for names without '/'). No other normalisation is
/// done, so "a/./b" and "a/b" are different files.
///
/// Counted operations. file::append(), file::sync(), file::truncate(), sync_dir(), rename(),
/// remove() and open() in read_write mode are counted: operations() says how many were
/// attempted, and fail_operation() makes a chosen one throw. Reads (open() in read_only mode,
/// read_at(), size(), list(), exists()) and create_dir() and lock() are never counted and never
/// fail by injection, so a test can always inspect the state. A failed operation still counts.
///
/// Every function throws annal::io_error carrying an errno value and the path, like the POSIX
/// implementation: ENOENT for a missing file or directory, EISDIR for a directory used as a
/// file, EBADF for writing through a read-only file, EWOULDBLOCK for a held lock, EIO for a file
/// or lock used after crash(), and the injected code for an injected fault.
///
/// Thread-safe: every function may be called from any thread. Files and locks it returns may
/// outlive it.
class fault_file_system final : public file_system {
 public:
  /// An empty file system holding only the root directory.
  fault_file_system();
  ~fault_file_system() override;
  fault_file_system(const fault_file_system&) = delete;
  fault_file_system& operator=(const fault_file_system&) = delete;

  /// Opens `path`. read_write creates a missing file (its directory must exist) and is a
  /// counted operation; read_only requires the file to exist.
  std::unique_ptr<file> open(const std::string& path, open_mode mode) override;
  /// Makes the current listing of `dir` durable. Counted. Throws ENOENT for a missing directory.
  void sync_dir(const std::string& dir) override;
  /// Moves the file `from` to `to`, replacing `to`; open files follow it. Counted.
  void rename(const std::string& from, const std::string& to) override;
  /// Removes the file from its directory; open files still read and write it. Counted.
  void remove(const std::string& path) override;
  /// The names of the files directly in `dir`, sorted. Throws ENOENT for a missing directory.
  std::vector<std::string> list(const std::string& dir) override;
  /// True when `path` is a file or a directory.
  bool exists(const std::string& path) override;
  /// Creates `dir` and its parents. Throws ENOTDIR when a file is in the way.
  void create_dir(const std::string& dir) override;
  /// Locks `path`, creating the file when missing. A second lock on the same path while the
  /// first is held throws io_error with EWOULDBLOCK; crash() releases every lock.
  std::unique_ptr<file_lock> lock(const std::string& path) override;

  /// Simulates a power cut. Every file reverts to its durable bytes plus what `mode` keeps of
  /// its unsynced changes, chosen with a generator seeded by `seed` (the same seed and history
  /// give the same result); every directory reverts to its durable listing, so files whose
  /// creation was not made durable disappear and renames and removals not made durable are
  /// undone. Every file and lock obtained before the call belongs to the dead process: using
  /// the file throws io_error with EIO, and the locks are released. Injected faults and the
  /// operation count are kept. For keep_random_prefix and garble_tail the number of bytes
  /// kept is 0 or all of them with probability 1/4 each, else uniform.
  void crash(crash_mode mode, std::uint64_t seed = 0);

  /// Makes the `n`-th counted operation from now (1 for the next one) throw
  /// io_error(error_code, path, "injected fault"), failing as `kind` says. When `sticky`,
  /// every counted operation from the `n`-th on fails until clear_faults(), like a full or
  /// failed disk. Several faults may be armed at once. Throws annal::invalid_argument when `n`
  /// is 0.
  void fail_operation(std::uint64_t n, int error_code, fault_kind kind = fault_kind::fail,
                      bool sticky = false);
  /// Disarms every fault armed by fail_operation().
  void clear_faults();
  /// How many counted operations were attempted since construction, failed ones included.
  /// Run a workload once and read this to size a sweep over fail_operation(1..count).
  std::uint64_t operations() const;

  /// The current bytes of the file at `path`. Throws io_error with ENOENT when it is missing.
  std::string contents(const std::string& path) const;
  /// Creates or replaces the file at `path` (creating its directories) with `bytes`, for
  /// byte-editing tests. Files already open see the new bytes. When `durable`, the bytes and
  /// the file's presence survive crash(); otherwise they are an unsynced change, as if written
  /// without sync() or sync_dir(). Not counted; never fails by injection.
  void set_contents(const std::string& path, std::string bytes, bool durable = true);

 private:
  // Shared with the files and locks handed out, which may outlive this object.
  std::shared_ptr<detail::fault_state> state_;
};

}  // namespace annal::io
