// Projection state names, the liveness rule for readers, and the one-line progress bar.
#include <fmt/format.h>

#include <algorithm>

#include "annal/projection_status.hpp"

namespace annal {

std::string_view to_string(projection_state state) noexcept {
  switch (state) {
    case projection_state::catching_up:
      return "catching_up";
    case projection_state::live:
      return "live";
    case projection_state::rebuilding:
      return "rebuilding";
    case projection_state::stopped:
      return "stopped";
    case projection_state::failed:
      return "failed";
    case projection_state::standby:
      return "standby";
    case projection_state::recovering:
      return "recovering";
  }
  return "unknown";
}

bool serves_live(const projection_status& status, std::uint64_t max_lag) noexcept {
  switch (status.state) {
    case projection_state::live:
    case projection_state::catching_up:
    case projection_state::rebuilding:
    case projection_state::standby:
      // A read model ahead of the log was not made from it (or the head is not known yet).
      return status.serving_checkpoint <= status.head && status.serving_lag <= max_lag;
    case projection_state::stopped:
    case projection_state::failed:
    case projection_state::recovering:
      return false;
  }
  return false;
}

std::string render_progress_bar(const projection_status& status, std::size_t bar_width) {
  std::uint64_t done =
      status.checkpoint > status.start_position ? status.checkpoint - status.start_position : 0;
  std::uint64_t total =
      status.head > status.start_position ? status.head - status.start_position : 0;
  double fraction = total == 0 ? 1.0 : std::min(1.0, static_cast<double>(done) / total);
  auto filled = static_cast<std::size_t>(fraction * static_cast<double>(bar_width));
  std::string line = fmt::format(
      "{} v{} {} [{}{}] {:5.1f}% {}/{} lag {} {:.0f} ev/s", status.name, status.version,
      to_string(status.state), std::string(filled, '#'), std::string(bar_width - filled, '-'),
      fraction * 100.0, status.checkpoint, status.head, status.lag, status.events_per_second);
  if (status.eta_seconds) line += fmt::format(" ETA {:.0f}s", *status.eta_seconds);
  if (status.dead_letters != 0) line += fmt::format(" dead letters {}", status.dead_letters);
  if (status.state == projection_state::failed && status.failed_position != 0) {
    line += fmt::format(" failed at {} ({}): {}", status.failed_position, status.failed_type,
                        status.error);
  } else if (status.state == projection_state::failed) {
    line += fmt::format(" failed: {}", status.error);
  } else if (status.state == projection_state::recovering) {
    line += fmt::format(" attempt {} failed: {}", status.retries, status.error);
  }
  return line;
}

}  // namespace annal
