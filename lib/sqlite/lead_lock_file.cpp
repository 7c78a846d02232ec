// Lock files that elect one runner per projection on a SQLite read model.
#include "sqlite/lead_lock_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "annal/error.hpp"

namespace annal::projection_detail {

std::string lead_lock_path(const std::string& database, const std::string& name) {
  return database + "-lead-" + name;
}

lead_lock_file::lead_lock_file(std::string path) : path_(std::move(path)) {
  // Close-on-exec: a child program must not inherit the lock and keep it after this process dies.
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    int code = errno;
    throw io_error(code, path_, std::string("opening the lock file: ") + std::strerror(code));
  }
  while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    int code = errno;
    if (code == EINTR) continue;
    if (code == EWOULDBLOCK) return;
    ::close(fd_);
    fd_ = -1;
    throw io_error(code, path_, std::string("locking the lock file: ") + std::strerror(code));
  }
  locked_ = true;
}

lead_lock_file::~lead_lock_file() {
  if (fd_ >= 0) ::close(fd_);
}

lead_lock_file::lead_lock_file(lead_lock_file&& other) noexcept
    : path_(std::move(other.path_)), fd_(other.fd_), locked_(other.locked_) {
  other.fd_ = -1;
  other.locked_ = false;
}

bool lead_lock_file::still_held() const noexcept {
  if (!locked_) return false;
  struct stat held {};
  struct stat named {};
  if (::fstat(fd_, &held) != 0 || ::stat(path_.c_str(), &named) != 0) return false;
  return held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

}  // namespace annal::projection_detail
