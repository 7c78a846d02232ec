// The file_system of the operating system: POSIX calls, every failure an annal::io_error.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <utility>

#include "annal/error.hpp"
#include "io/file_system.hpp"

namespace annal::io {

namespace {

[[noreturn]] void throw_errno(const std::string& path, const std::string& reason) {
  throw io_error(errno, path, reason);
}

// Closes the descriptor on every path out of a scope; close errors are not reported because
// nothing written through these descriptors is left to flush.
class unique_fd {
 public:
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  ~unique_fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  unique_fd& operator=(unique_fd&&) = delete;
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

class posix_file final : public file {
 public:
  posix_file(unique_fd fd, std::string path, open_mode mode, std::uint64_t size)
      : fd_(std::move(fd)), path_(std::move(path)), mode_(mode), size_(size) {}
  ~posix_file() override {
    if (map_ != nullptr) ::munmap(map_, map_length_);
  }
  posix_file(const posix_file&) = delete;
  posix_file& operator=(const posix_file&) = delete;

  void append(std::span<const std::byte> data) override {
    require_writable("append to");
    // One writer per file (see file), so the tracked end is only advanced from this thread.
    std::uint64_t end = size_.load(std::memory_order_relaxed);
    while (!data.empty()) {
      ssize_t written = ::pwrite(fd_.get(), data.data(), data.size(), static_cast<off_t>(end));
      if (written < 0) {
        if (errno == EINTR) continue;
        throw_errno(path_, "cannot append to the file");
      }
      end += static_cast<std::uint64_t>(written);
      data = data.subspan(static_cast<std::size_t>(written));
      size_.store(end, std::memory_order_release);
    }
  }

  std::size_t read_at(std::uint64_t offset, std::span<std::byte> out) const override {
    std::size_t total = 0;
    while (total < out.size()) {
      ssize_t n = ::pread(fd_.get(), out.data() + total, out.size() - total,
                          static_cast<off_t>(offset + total));
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno(path_, "cannot read at offset " + std::to_string(offset + total));
      }
      if (n == 0) break;
      total += static_cast<std::size_t>(n);
    }
    return total;
  }

  void sync() override {
    require_writable("sync");
    while (::fdatasync(fd_.get()) != 0) {
      if (errno != EINTR) throw_errno(path_, "cannot sync the file (fdatasync)");
    }
  }

  void truncate(std::uint64_t size) override {
    require_writable("truncate");
    while (::ftruncate(fd_.get(), static_cast<off_t>(size)) != 0) {
      if (errno != EINTR)
        throw_errno(path_, "cannot truncate to " + std::to_string(size) + " bytes");
    }
    size_.store(size, std::memory_order_release);
  }

  std::uint64_t size() const override { return size_.load(std::memory_order_acquire); }

  const std::string& path() const override { return path_; }

  std::span<const std::byte> mapped(std::uint64_t length) const override {
    std::lock_guard lock(map_mutex_);
    if (map_ == nullptr && !map_failed_ && length > 0) {
      void* at = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd_.get(), 0);
      if (at == MAP_FAILED) {
        map_failed_ = true;  // readers fall back to read_at()
      } else {
        map_ = at;
        map_length_ = length;
      }
    }
    if (map_ == nullptr) return {};
    return {static_cast<const std::byte*>(map_), map_length_};
  }

 private:
  void require_writable(const char* what) const {
    if (mode_ == open_mode::read_only) {
      throw io_error(EBADF, path_, std::string("cannot ") + what + " a file opened read-only");
    }
  }

  unique_fd fd_;
  std::string path_;
  open_mode mode_;
  // The end of the file as this process wrote it; the store holds the directory lock, so no
  // other process appends.
  std::atomic<std::uint64_t> size_;
  mutable std::mutex map_mutex_;
  mutable void* map_ = nullptr;
  mutable std::size_t map_length_ = 0;
  mutable bool map_failed_ = false;
};

class posix_lock final : public file_lock {
 public:
  explicit posix_lock(unique_fd fd) noexcept : fd_(std::move(fd)) {}

 private:
  // Closing the descriptor releases the flock.
  unique_fd fd_;
};

class posix_fs final : public file_system {
 public:
  std::unique_ptr<file> open(const std::string& path, open_mode mode) override {
    int flags = O_CLOEXEC | (mode == open_mode::read_only ? O_RDONLY : O_RDWR | O_CREAT);
    int fd;
    do {
      fd = ::open(path.c_str(), flags, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
      throw_errno(path, mode == open_mode::read_only ? "cannot open the file for reading"
                                                     : "cannot open the file for writing");
    }
    unique_fd guard(fd);
    struct stat st;
    if (::fstat(fd, &st) != 0) throw_errno(path, "cannot stat the file");
    if (S_ISDIR(st.st_mode)) throw io_error(EISDIR, path, "cannot open a directory as a file");
    return std::make_unique<posix_file>(std::move(guard), path, mode,
                                        static_cast<std::uint64_t>(st.st_size));
  }

  void sync_dir(const std::string& dir) override {
    int fd;
    do {
      fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) throw_errno(dir, "cannot open the directory to sync it");
    unique_fd guard(fd);
    while (::fsync(fd) != 0) {
      if (errno != EINTR) throw_errno(dir, "cannot sync the directory (fsync)");
    }
  }

  void rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      throw_errno(from, "cannot rename the file to '" + to + "'");
    }
  }

  void remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno(path, "cannot remove the file");
  }

  std::vector<std::string> list(const std::string& dir) override {
    std::unique_ptr<DIR, int (*)(DIR*)> stream(::opendir(dir.c_str()), ::closedir);
    if (stream == nullptr) throw_errno(dir, "cannot open the directory to list it");
    DIR* handle = stream.get();
    std::vector<std::string> names;
    int error = 0;
    for (;;) {
      errno = 0;
      const dirent* entry = ::readdir(handle);
      if (entry == nullptr) {
        error = errno;
        break;
      }
      std::string name = entry->d_name;
      if (name == "." || name == "..") continue;
      bool regular = entry->d_type == DT_REG;
      if (entry->d_type == DT_UNKNOWN) {
        // Some file systems do not fill d_type; ask for the entry itself.
        struct stat st;
        if (::fstatat(::dirfd(handle), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
          if (errno == ENOENT) continue;  // removed since readdir saw it
          error = errno;
          break;
        }
        regular = S_ISREG(st.st_mode);
      }
      if (regular) names.push_back(std::move(name));
    }
    if (error != 0) throw io_error(error, dir, "cannot list the directory");
    return names;
  }

  bool exists(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT || errno == ENOTDIR) return false;
    throw_errno(path, "cannot check whether the file exists");
  }

  void create_dir(const std::string& dir) override {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw io_error(ec.value(), dir, "cannot create the directory: " + ec.message());
  }

  std::unique_ptr<file_lock> lock(const std::string& path) override {
    int fd;
    do {
      fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0 && errno == EISDIR) {
      // Not a store in use: something made a directory where the lock file belongs.
      throw io_error(EISDIR, path, "the lock file is a directory, not a file");
    }
    if (fd < 0) throw_errno(path, "cannot open the lock file");
    auto result = std::make_unique<posix_lock>(unique_fd(fd));
    // flock locks belong to the open file description, so a second lock() in this process on
    // the same file conflicts too: two stores in one process cannot share a directory.
    int status;
    do {
      status = ::flock(fd, LOCK_EX | LOCK_NB);
    } while (status != 0 && errno == EINTR);
    if (status != 0) {
      if (errno == EWOULDBLOCK) {
        throw io_error(EWOULDBLOCK, path, "the file is locked by another process or store");
      }
      throw_errno(path, "cannot lock the file");
    }
    return result;
  }
};

}  // namespace

std::shared_ptr<file_system> posix_file_system() {
  static const std::shared_ptr<file_system> instance = std::make_shared<posix_fs>();
  return instance;
}

}  // namespace annal::io
