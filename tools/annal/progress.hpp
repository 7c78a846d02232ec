// A progress bar on standard error, drawn only when standard error is a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace annal::cli {

/// Draws "LABEL [#####-----]  52%  520000/1000000 events  95000/s" on one terminal line, at
/// most ten times a second. Does nothing when standard error is not a terminal, so piped or
/// redirected runs stay clean. Not thread-safe.
class progress {
 public:
  /// `total` of 0 means unknown: the bar then shows only the count and the rate.
  progress(std::string label, std::uint64_t total, std::string unit);
  ~progress();
  progress(const progress&) = delete;
  progress& operator=(const progress&) = delete;

  /// Reports that `done` units are done.
  void update(std::uint64_t done);
  /// Draws the final state and ends the line. Called by the destructor if not before.
  void finish();

 private:
  void draw();

  std::string label_;
  std::uint64_t total_;
  std::string unit_;
  bool enabled_;
  bool finished_ = false;
  std::uint64_t done_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace annal::cli
