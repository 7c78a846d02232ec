// Where a projection is: its state, checkpoint, lag, speed and ETA, and a one-line progress bar.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace annal {

/// The life of a projection in a runner.
enum class projection_state : std::uint8_t {
  /// Handling events behind the head of the log.
  catching_up,
  /// Caught up with the head; waiting for new events.
  live,
  /// Building a new version of the read model into shadow tables while the current ones serve.
  rebuilding,
  /// Not running (never started, or stopped).
  stopped,
  /// Stopped by a failing event under the stop policy, or after its retries ran out.
  failed,
  /// PostgreSQL read models only: not leading yet, because another process runs this projection,
  /// the server is out of reach or the runner just started; the runner tries to take over every
  /// runner_options::leader_retry. The checkpoints
  /// show the leader's progress as last read.
  standby,
};

/// "catching_up", "live", "rebuilding", "stopped", "failed" or "standby". Never throws.
std::string_view to_string(projection_state state) noexcept;

/// A snapshot of one projection's progress, taken by projection_runner::status().
struct projection_status {
  std::string name;
  int version = 0;
  projection_state state = projection_state::stopped;
  /// The last position handled by the build in progress (the shadow build while rebuilding).
  /// Positions the projection's filter passes over count as handled.
  std::uint64_t checkpoint = 0;
  /// The last position handled by the build readers see.
  std::uint64_t serving_checkpoint = 0;
  /// Where the build in progress started: 0 for a full build, from_position - 1 for a rebuild
  /// asked to start at from_position.
  std::uint64_t start_position = 0;
  /// The head of the log when last looked at.
  std::uint64_t head = 0;
  /// head - checkpoint.
  std::uint64_t lag = 0;
  /// Positions handled per second over the last rate interval (runner_options::rate_interval).
  double events_per_second = 0;
  /// lag / events_per_second while catching up or rebuilding with a known rate.
  std::optional<double> eta_seconds;
  /// Events recorded in the dead-letter table so far.
  std::uint64_t dead_letters = 0;
  /// Failed attempts at the current event under the retry policy.
  int retries = 0;
  /// The last failure: position, type and stream of the event and the error text; empty when
  /// nothing has failed since the projection started.
  std::uint64_t failed_position = 0;
  std::string failed_type;
  std::string failed_stream;
  std::string error;
};

/// One line describing `status`, e.g.
/// `order_summary v3 rebuilding [##########----------]  50.0% 500000/1000000 lag 500000
/// 212345 ev/s ETA 2s`, the bar `bar_width` characters wide. The fraction is
/// (checkpoint - start_position) / (head - start_position). Never throws except std::bad_alloc.
std::string render_progress_bar(const projection_status& status, std::size_t bar_width = 30);

}  // namespace annal
