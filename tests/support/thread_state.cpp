// Reading a thread's current system call from /proc.
#include "support/thread_state.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace annal::test {

pid_t current_thread_id() noexcept { return static_cast<pid_t>(::syscall(SYS_gettid)); }

bool wait_until_blocked_in_futex(pid_t tid, std::chrono::milliseconds timeout) {
  const std::string path = "/proc/self/task/" + std::to_string(tid) + "/syscall";
  const std::string futex = std::to_string(SYS_futex);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::ifstream file(path);
    std::string call;  // the system call number, "running", or -1 when in none
    if (!(file >> call)) throw std::runtime_error("cannot read " + path);
    if (call == futex) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a poll, not a guess
  }
}

}  // namespace annal::test
