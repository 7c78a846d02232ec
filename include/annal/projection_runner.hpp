// Runs projections on their own threads: checkpointed catch-up, live following, rebuilds.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "annal/event_store.hpp"
#include "annal/export.hpp"
#include "annal/projection.hpp"
#include "annal/projection_status.hpp"

namespace annal {

/// What a runner does with a projection whose read model was not made from the store it runs
/// against: a checkpoint ahead of the store's head, or another event at the checkpoint than the
/// one recorded there (a store restored from an older backup, written to since or not). See
/// docs/projections.md, "Origin checks".
enum class origin_policy : std::uint8_t {
  /// Replace the projection's builds at once, in one transaction, with a new, empty build from
  /// position 1 (a sink: reset(1), and the log delivered again). Readers see the new tables
  /// filling up (state catching_up), never the wrong ones; `error` says what was found.
  rebuild,
  /// Fail the projection (projection_state::failed, `error` says what was found) and leave its
  /// tables as they are, for a person to look at. rebuild(name) then replaces the builds at once,
  /// as the rebuild policy does, and start(name) runs it again.
  stop,
};

/// Settings of a projection_runner.
struct runner_options {
  /// Events read per page and handled per transaction (one checkpoint write each).
  std::size_t batch_size = 8192;
  /// Longest wait for new events when live before looking at stop requests again. Appends
  /// through the same store object wake the runner at once; appends by other processes are
  /// seen at the store's poll interval.
  std::chrono::milliseconds idle_wait{100};
  /// The window over which events_per_second is measured.
  std::chrono::milliseconds rate_interval{1000};
  /// How often a runner in standby tries to take the lead of a projection another runner (in
  /// this or another process) runs, so it takes over within about this long after the leader
  /// stops or dies (see projection_state::standby).
  std::chrono::milliseconds leader_retry{1000};
  /// After a failure of the read-model database, the store or the lead rather than of an event
  /// (see projection_state::recovering), the first pause before the runner starts the projection
  /// again; each failure in a row doubles it, up to max_recovery_backoff.
  std::chrono::milliseconds recovery_backoff{200};
  std::chrono::milliseconds max_recovery_backoff{10000};
  /// What to do with a read model that was not made from this store (see origin_policy).
  origin_policy on_origin_mismatch = origin_policy::rebuild;
};

/// An event a projection could not handle under the skip_and_record policy.
struct dead_letter {
  std::string projection;
  std::uint64_t position = 0;
  std::string type;
  std::string stream_id;
  std::string error;
};

/// Runs projections over one event store, each on its own thread, keeping their checkpoints,
/// read models and dead letters in one read-model database: a SQLite file (`read_model_path`,
/// created when missing; it may be the file of a sqlite: store, or any other file), or a
/// PostgreSQL schema named by a `postgres://USER@HOST:PORT/DB?schema=NAME` URI (default schema
/// "annal", created when missing). Each projection of a read model is applied by one runner at a
/// time, in this or another process (a lock file beside a SQLite file, an advisory lock in
/// PostgreSQL): the others stand by and take over when the leader stops or dies (see
/// projection_state::standby and docs/projections.md, "One runner per projection").
///
/// Each projection reads the log in batches from its checkpoint, catches up, then follows new
/// appends. For a SQLite read model every batch is one transaction holding the handlers' writes
/// and the new checkpoint, so each event changes the read model exactly once even across
/// crashes. A generic projection's sink sees each event at least once. One projection failing
/// never stops the others. A failure of the database, the store or the lead (not of an event) is
/// recovered from by starting again after a backoff (projection_state::recovering). See
/// docs/projections.md.
///
/// Thread-safe. The store must outlive the runner; the destructor stops every projection.
class ANNAL_EXPORT projection_runner {
 public:
  /// Opens (creating) the read-model database. Throws annal::io_error or annal::corruption when
  /// it cannot be opened (a PostgreSQL server out of reach included); annal::invalid_argument for
  /// a batch_size, leader_retry or recovery_backoff of 0, a max_recovery_backoff below
  /// recovery_backoff, or a malformed postgres:// URI.
  projection_runner(event_store& store, std::string read_model_path, runner_options options = {});
  ~projection_runner();
  projection_runner(const projection_runner&) = delete;
  projection_runner& operator=(const projection_runner&) = delete;

  /// Adds a projection, stopped. A projection whose stored version differs from `p.version`
  /// starts with a rebuild. Throws annal::invalid_argument for an invalid or taken name, an
  /// invalid or taken table base name, or unless exactly one of handle, prepare, sink and
  /// prepare_sink is set (and create_tables for a read model).
  void add(projection p);

  /// Starts every added projection that is not running, or one by name. A failed projection
  /// restarts from its checkpoint. Throws annal::invalid_argument for an unknown name.
  void start();
  void start(std::string_view name);

  /// Stops every projection, or one by name, and waits for its thread; the current batch is
  /// either committed or rolled back. Idempotent. Throws annal::invalid_argument for an unknown
  /// name.
  void stop();
  void stop(std::string_view name);

  /// Rebuilds a projection from `from_position` (1: the whole log) into new tables while the
  /// current ones keep serving and keep following the log; when the new build reaches the
  /// head, one transaction makes it current and drops the old tables. A generic projection's
  /// reset() is called and its checkpoint moved back instead. A rebuild already in progress
  /// starts over. A read model whose current build was not made from this store (see
  /// origin_policy) is replaced at once instead: its tables must not serve meanwhile. Works on a
  /// stopped projection too (it proceeds once started), and on one in standby (the leader takes the
  /// new build up when it next starts leading). Throws annal::invalid_argument for an unknown name
  /// or a from_position beyond the head + 1, annal::io_error when the database fails.
  void rebuild(std::string_view name, std::uint64_t from_position = 1);

  /// The status of one projection, or of all in the order they were added. Throws
  /// annal::invalid_argument for an unknown name.
  projection_status status(std::string_view name) const;
  std::vector<projection_status> statuses() const;

  /// Blocks until the projection's serving checkpoint reaches `position` with no rebuild in
  /// progress (true), or it fails or stops, or `timeout` passes (false). A projection recovering
  /// from an infrastructure failure is waited for.
  bool wait_until(std::string_view name, std::uint64_t position,
                  std::chrono::milliseconds timeout) const;

  /// The events the projection skipped and recorded, in position order.
  std::vector<dead_letter> dead_letters(std::string_view name) const;

  const std::string& read_model_path() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace annal
