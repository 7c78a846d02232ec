// Copying recorded events into a store, resumably: what `annal import` and `annal migrate` share.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "annal/event_store.hpp"
#include "stop_point.hpp"

namespace annal::cli {

/// Writes events, given in position order, into `target` with append_recorded(), keeping every
/// field. Events at positions the target already holds are compared with what it holds: the
/// same event is skipped (so a copy can be re-run or resumed after an interruption), another
/// event is an error. Consecutive events of one stream with one timestamp (one original batch,
/// or several of one commit group) are written together, up to 1000 events or 4 MiB, so memory
/// stays bounded whatever the input's size. Every error names where it happened: the input
/// lines of the events at fault when they came from lines, else their positions. Not
/// thread-safe; `target` must outlive the copier. Honours ANNAL_TEST_STOP_AFTER_BATCHES
/// (stop_point).
class log_copier {
 public:
  /// Throws annal::invalid_argument for a malformed ANNAL_TEST_STOP_AFTER_BATCHES.
  explicit log_copier(event_store& target);

  /// Takes the next event, read from input line `line` (0 when it was not read from lines).
  /// Throws annal::invalid_argument when its position does not follow the previous event's,
  /// or when the target holds a different event at its position; and, naming the lines or
  /// positions of the batch, what append_recorded() throws for the batch it completes.
  void add(recorded_event e, std::uint64_t line = 0);
  /// Writes what is still held back. Call once after the last add(); throws as add() does.
  void finish();

  /// Events written to the target so far.
  std::uint64_t written() const noexcept { return written_; }
  /// Events skipped because the target already held them.
  std::uint64_t skipped() const noexcept { return skipped_; }

 private:
  // Checks that `e` follows the previous event; true when the target already holds it (and it
  // is the same event), false when it is still to be written.
  bool check_place(const recorded_event& e);
  void compare_with_stored(const recorded_event& e);
  void flush();
  // "line 7", "lines 3 to 9", or the same with positions for events not read from lines.
  std::string batch_place() const;

  event_store& target_;
  std::uint64_t target_head_;
  std::uint64_t last_position_ = 0;
  std::vector<recorded_event> batch_;
  std::uint64_t batch_first_line_ = 0;
  std::uint64_t batch_last_line_ = 0;
  std::size_t batch_bytes_ = 0;
  std::vector<recorded_event> stored_;  // a page of the target, for comparing
  std::uint64_t written_ = 0;
  std::uint64_t skipped_ = 0;
  stop_point stop_point_;
};

}  // namespace annal::cli
