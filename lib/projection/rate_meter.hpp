// Events per second over a sliding window of (time, position) samples.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>

namespace annal::projection_detail {

/// Measures how fast a checkpoint moves, over the last `window`. Not thread-safe.
class rate_meter {
 public:
  using clock = std::chrono::steady_clock;

  explicit rate_meter(std::chrono::milliseconds window) : window_(window) {}

  /// Records that the checkpoint was `position` at `now`.
  void sample(clock::time_point now, std::uint64_t position) {
    if (!samples_.empty() && position < samples_.back().position) samples_.clear();
    samples_.push_back({now, position});
    // Keep one sample at or before the window's start, so the window is always covered.
    while (samples_.size() > 2 && samples_[1].time <= now - window_) samples_.pop_front();
  }

  /// Positions per second over the window ending at `now`; 0 when nothing moved in it.
  double per_second(clock::time_point now) const {
    if (samples_.size() < 2 || now - samples_.back().time > window_) return 0;
    const auto& first = samples_.front();
    const auto& last = samples_.back();
    double seconds = std::chrono::duration<double>(last.time - first.time).count();
    if (seconds <= 0) return 0;
    return static_cast<double>(last.position - first.position) / seconds;
  }

  void clear() noexcept { samples_.clear(); }

 private:
  struct point {
    clock::time_point time;
    std::uint64_t position;
  };
  std::chrono::milliseconds window_;
  std::deque<point> samples_;
};

}  // namespace annal::projection_detail
