// A gate a projection handler waits at, so a test can look at a runner in the middle of a batch.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace annal::test {

/// Closed until release(); reached() says whether someone arrived. Thread-safe.
class gate {
 public:
  /// Blocks the caller until release().
  void pass() {
    std::unique_lock lock(m_);
    arrived_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
  }
  /// Waits until a caller arrived at the gate (true) or the timeout passed.
  bool wait_arrival(std::chrono::milliseconds timeout) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, timeout, [&] { return arrived_; });
  }
  void release() {
    std::lock_guard lock(m_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool arrived_ = false;
  bool open_ = false;
};

}  // namespace annal::test
