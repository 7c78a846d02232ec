// Forked child processes for tests, and the pipes between parent and child.
#include "support/process.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <stdexcept>
#include <system_error>

namespace annal::test {

namespace {

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

}  // namespace

process::process(const std::function<void(process&)>& body) {
  // A write to a pipe whose reader has exited fails with EPIPE instead of killing the writer.
  signal(SIGPIPE, SIG_IGN);
  if (pipe(to_parent_) != 0 || pipe(to_child_) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe");
  }
  pid_ = fork();
  if (pid_ < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid_ == 0) {
    child_ = true;
    close_fd(to_parent_[0]);
    close_fd(to_child_[1]);
    int code = 0;
    try {
      body(*this);
    } catch (const std::exception& e) {
      std::cerr << "child process: " << e.what() << std::endl;
      code = 2;
    }
    _exit(code);
  }
  close_fd(to_parent_[1]);
  close_fd(to_child_[0]);
}

process::~process() {
  if (!child_ && !reaped_) {
    kill();
    wait();
  }
  close_fd(to_parent_[0]);
  close_fd(to_child_[1]);
}

void process::send(const void* data, std::size_t size) {
  int fd = child_ ? to_parent_[1] : to_child_[1];
  const char* bytes = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = write(fd, bytes, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::system_error(errno, std::generic_category(), "write to pipe");
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
}

bool process::receive(void* data, std::size_t size) {
  int fd = child_ ? to_child_[0] : to_parent_[0];
  char* bytes = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = read(fd, bytes, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::system_error(errno, std::generic_category(), "read from pipe");
    if (n == 0) return false;
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

std::string process::receive_all() {
  std::string text;
  char c;
  while (receive(&c, 1)) text.push_back(c);
  return text;
}

void process::hand_over() {
  char byte = 1;
  send(&byte, 1);
}

bool process::wait_turn() {
  char byte;
  return receive(&byte, 1);
}

void process::kill() {
  if (!reaped_) ::kill(pid_, SIGKILL);
}

int process::wait() {
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  return status;
}

int process::finish() {
  try {
    hand_over();
  } catch (const std::system_error&) {
    // The child has already exited: its status says how.
  }
  int status = wait();
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace annal::test
