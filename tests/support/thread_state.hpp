// Whether another thread of this process is asleep in a wait: for tests that must act only once
// a thread is blocked (in wait_for, at a test hook), instead of sleeping and hoping it is.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <future>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace annal::test {

/// The calling thread's kernel thread id (gettid()).
pid_t current_thread_id() noexcept;

/// Returns once thread `tid` of this process is blocked in a futex wait (a condition variable,
/// a mutex, an atomic wait: how wait_for() and most hooks sleep), or false after `timeout`.
/// Linux only: reads the system call the thread is in from /proc/self/task/TID/syscall.
/// Throws std::runtime_error when that file cannot be read (no such thread).
bool wait_until_blocked_in_futex(pid_t tid,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(30));

/// Runs `call` on a thread of its own and returns its result's future once that thread is
/// blocked in a futex wait inside it: for a call such as wait_for(), what the test does next
/// happens while the call waits, not before it started. Throws std::runtime_error when the
/// thread does not block within 30 s (the future's destructor then waits for the call).
template <class Call>
std::future<std::invoke_result_t<Call>> run_until_blocked(Call call) {
  std::promise<pid_t> started;
  std::future<pid_t> thread_id = started.get_future();
  auto result = std::async(std::launch::async,
                           [call = std::move(call), started = std::move(started)]() mutable {
                             started.set_value(current_thread_id());
                             return call();
                           });
  if (!wait_until_blocked_in_futex(thread_id.get())) {
    throw std::runtime_error("the call did not block within 30 s");
  }
  return result;
}

}  // namespace annal::test
