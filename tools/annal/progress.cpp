// Drawing the progress bar with carriage returns on a terminal.
#include "progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace annal::cli {
namespace {

constexpr int bar_width = 30;
constexpr auto redraw_interval = std::chrono::milliseconds(100);

}  // namespace

progress::progress(std::string label, std::uint64_t total, std::string unit)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      enabled_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

progress::~progress() { finish(); }

void progress::update(std::uint64_t done) {
  done_ = done;
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < redraw_interval) return;
  last_draw_ = now;
  draw();
}

void progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (!enabled_) return;
  draw();
  std::fputc('\n', stderr);
}

void progress::draw() {
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  auto rate = static_cast<std::uint64_t>(seconds > 0 ? static_cast<double>(done_) / seconds : 0);
  std::string line;
  if (total_ > 0) {
    double fraction = std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
    int filled = static_cast<int>(fraction * bar_width);
    line = fmt::format("{} [{}{}] {:3.0f}%  {}/{} {}  {}/s", label_, std::string(filled, '#'),
                       std::string(bar_width - filled, '-'), fraction * 100, done_, total_, unit_,
                       rate);
  } else {
    line = fmt::format("{} {} {}  {}/s", label_, done_, unit_, rate);
  }
  // \r returns to the line's start; \x1b[K clears what a longer previous line left.
  std::fprintf(stderr, "\r%s\x1b[K", line.c_str());
  std::fflush(stderr);
}

}  // namespace annal::cli
