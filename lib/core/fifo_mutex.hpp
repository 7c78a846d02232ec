// fifo_mutex: a mutex that grants the lock in the order callers asked for it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace annal::detail {

/// A mutex whose waiters get the lock first come, first served (a ticket lock), so a writer
/// cannot be overtaken indefinitely and tests can rely on the order appends queued in. Meets
/// the Lockable requirements (std::lock_guard, std::unique_lock). Thread-safe; not recursive.
class fifo_mutex {
 public:
  void lock() {
    lock([] {});
  }

  /// Takes a ticket, calls `queued()` (with the turn fixed, under an internal lock: it must not
  /// block), then waits for the turn.
  template <class F>
  void lock(F&& queued) {
    std::unique_lock guard(mutex_);
    std::uint64_t ticket = next_ticket_++;
    queued();
    turn_.wait(guard, [&] { return serving_ == ticket; });
  }

  void unlock() {
    {
      std::lock_guard guard(mutex_);
      ++serving_;
    }
    turn_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable turn_;
  std::uint64_t next_ticket_ = 0;
  std::uint64_t serving_ = 0;
};

}  // namespace annal::detail
