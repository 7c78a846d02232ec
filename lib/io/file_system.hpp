// The file abstraction every byte of the segment backend goes through, so tests can inject faults.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace annal::io {

/// An open file. Not thread-safe except where stated: the segment backend gives each file one
/// writer, and read_at() may be called from any number of threads at once.
///
/// Every function throws annal::io_error (carrying errno and the path) when the operation fails.
class file {
 public:
  virtual ~file() = default;

  /// Writes `data` at the end of the file. A failure may leave part of `data` written.
  virtual void append(std::span<const std::byte> data) = 0;
  /// Reads up to `out.size()` bytes at `offset`; returns how many were read (fewer only at the
  /// end of the file). Thread-safe, also concurrently with append().
  virtual std::size_t read_at(std::uint64_t offset, std::span<std::byte> out) const = 0;
  /// Makes everything written so far durable (fdatasync).
  virtual void sync() = 0;
  /// Cuts the file to `size` bytes.
  virtual void truncate(std::uint64_t size) = 0;
  /// The file's current size, including appends not yet synced. Thread-safe.
  virtual std::uint64_t size() const = 0;
  virtual const std::string& path() const = 0;
  /// The file's bytes from offset 0, mapped read-only into memory, so that many small reads cost
  /// no system call each: `length` bytes on the first call (which may reach past the file's end,
  /// to cover what will be appended), the same view on every later call. Empty when the file
  /// system maps nothing (the default) or mapping failed. Reading a byte through it that the
  /// file does not hold (at or past size()) is undefined: callers read only what they know was
  /// written. The view lives as long as the file object. Thread-safe.
  virtual std::span<const std::byte> mapped(std::uint64_t length) const {
    (void)length;
    return {};
  }
};

/// How file_system::open() opens a file.
enum class open_mode {
  read_only,   ///< The file must exist; append, sync and truncate are not allowed.
  read_write,  ///< Created when missing (the caller syncs the directory to make that durable).
};

/// An exclusive lock on a file, held until destruction (flock on POSIX).
class file_lock {
 public:
  virtual ~file_lock() = default;
};

/// Files and directories. Implementations are thread-safe.
class file_system {
 public:
  virtual ~file_system() = default;

  virtual std::unique_ptr<file> open(const std::string& path, open_mode mode) = 0;
  /// Makes the creation, renaming and removal of entries in `dir` durable (fsync of the
  /// directory).
  virtual void sync_dir(const std::string& dir) = 0;
  /// Atomically replaces `to` with `from`.
  virtual void rename(const std::string& from, const std::string& to) = 0;
  /// Removes a file; removing a missing file is not an error.
  virtual void remove(const std::string& path) = 0;
  /// The names (not paths) of the regular files in `dir`, in no particular order.
  virtual std::vector<std::string> list(const std::string& dir) = 0;
  virtual bool exists(const std::string& path) = 0;
  /// Creates `dir` and its missing parents; an existing directory is not an error.
  virtual void create_dir(const std::string& dir) = 0;
  /// Takes an exclusive lock on `path` (created when missing). Throws annal::io_error with
  /// EWOULDBLOCK when another process, or another lock in this process, holds it.
  virtual std::unique_ptr<file_lock> lock(const std::string& path) = 0;
};

/// The real file system. The returned object is shared and lives for the whole process.
std::shared_ptr<file_system> posix_file_system();

}  // namespace annal::io
