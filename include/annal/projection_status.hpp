// Where a projection is: its state, checkpoint, lag, speed and ETA, and a one-line progress bar.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "annal/export.hpp"

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
  /// Stopped by a failing event under the stop policy, or after its retries ran out, or by a
  /// failure the runner cannot recover from (the store closed, a corrupt database, a projection
  /// whose create_tables does not compile). start() starts it again.
  failed,
  /// Not leading: another runner (in this or another process) applies this projection to the
  /// read model, or the runner has just started. The runner tries to take the lead every
  /// runner_options::leader_retry. The checkpoints show the leader's progress as last read.
  standby,
  /// A failure of the read-model database, the store or the lead, not of an event (a full disk,
  /// a lock held past the busy timeout, an unreachable server, the lead lost), interrupted the
  /// projection. The runner has dropped its connection and its lead, and starts again from the
  /// stored checkpoint after a pause (runner_options::recovery_backoff, doubling up to
  /// max_recovery_backoff, without limit on attempts); `error` says what failed and `retries`
  /// how many attempts in a row failed.
  recovering,
};

/// "catching_up", "live", "rebuilding", "stopped", "failed", "standby" or "recovering". Never
/// throws.
ANNAL_EXPORT std::string_view to_string(projection_state state) noexcept;

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
  /// head - serving_checkpoint: how far what readers see is behind the log.
  std::uint64_t serving_lag = 0;
  /// Positions handled per second over the last rate interval (runner_options::rate_interval).
  double events_per_second = 0;
  /// lag / events_per_second while catching up or rebuilding with a known rate.
  std::optional<double> eta_seconds;
  /// Events recorded in the dead-letter table so far.
  std::uint64_t dead_letters = 0;
  /// Failed attempts at the current event under the retry policy; while recovering, the failed
  /// attempts in a row to start the projection again.
  int retries = 0;
  /// The last failure: position, type and stream of the event (0 and empty when the failure was
  /// not an event's) and the error text; empty when nothing has failed since the projection
  /// started. The state says whether the failure still holds: a projection that recovered keeps
  /// the text of what it recovered from.
  std::uint64_t failed_position = 0;
  std::string failed_type;
  std::string failed_stream;
  std::string error;
};

/// Whether readers of the projection's tables see the log as it is, as far as `status` tells:
/// a runner follows the log (the state is live, catching_up, rebuilding, or standby while another
/// runner leads) and what readers see is at most `max_lag` positions behind the head
/// (`serving_lag`; for a standby, the leader's progress as last read) and not ahead of it (a
/// read model ahead of the log was not made from it). A projection stopped, failed or
/// recovering is never live, whatever its lag: nothing follows the log, and after a failed check
/// of the read model's origin its tables may be wrong. Never throws.
ANNAL_EXPORT bool serves_live(const projection_status& status, std::uint64_t max_lag = 0) noexcept;

/// One line describing `status`, e.g.
/// `order_summary v3 rebuilding [##########----------]  50.0% 500000/1000000 lag 500000
/// 212345 ev/s ETA 2s`, the bar `bar_width` characters wide. The fraction is
/// (checkpoint - start_position) / (head - start_position). Never throws except std::bad_alloc.
ANNAL_EXPORT std::string render_progress_bar(const projection_status& status,
                                             std::size_t bar_width = 30);

}  // namespace annal
