// Small pieces the projection worker's files share: exception text and interruptible pauses.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <stop_token>
#include <string>

namespace annal::projection_detail {

/// The what() of an exception; for one that is not a std::exception, a sentence saying so.
inline std::string describe(std::exception_ptr e) {
  try {
    std::rethrow_exception(std::move(e));
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

/// The pause before attempt `failures` + 1: `initial` doubled per failure so far, at most `max`.
inline std::chrono::milliseconds backoff(std::chrono::milliseconds initial,
                                         std::chrono::milliseconds max, int failures) {
  return std::min(max, initial * (std::int64_t{1} << std::clamp(failures, 0, 20)));
}

/// Waits for `pause` unless a stop is requested first; says whether it waited the whole pause.
inline bool pause_unless_stopped(std::stop_token stop, std::chrono::milliseconds pause) {
  std::mutex m;
  std::unique_lock lock(m);
  std::condition_variable_any().wait_for(lock, stop, pause, [] { return false; });
  return !stop.stop_requested();
}

}  // namespace annal::projection_detail
