// Copying recorded events into a store, resumably: what `annal import` and `annal migrate` share.
#pragma once

#include <cstdint>
#include <vector>

#include "annal/event_store.hpp"

namespace annal::cli {

/// Writes events, given in position order, into `target` with append_recorded(), keeping every
/// field. Events at positions the target already holds are compared with what it holds: the
/// same event is skipped (so a copy can be re-run or resumed after an interruption), another
/// event is an error. Consecutive events of one stream with one timestamp (one original batch,
/// or several of one commit group) are written together, up to 1000 events or 4 MiB, so memory
/// stays bounded whatever the input's size. Not thread-safe; `target` must outlive the copier.
class log_copier {
 public:
  explicit log_copier(event_store& target);

  /// Takes the next event. Throws annal::invalid_argument when its position does not follow
  /// the previous event's, or when the target holds a different event at its position; and
  /// whatever append_recorded() throws.
  void add(recorded_event e);
  /// Writes what is still held back. Call once after the last add().
  void finish();

  /// Events written to the target so far.
  std::uint64_t written() const noexcept { return written_; }
  /// Events skipped because the target already held them.
  std::uint64_t skipped() const noexcept { return skipped_; }

 private:
  void compare_with_stored(const recorded_event& e);
  void flush();

  event_store& target_;
  std::uint64_t target_head_;
  std::uint64_t last_position_ = 0;
  std::vector<recorded_event> batch_;
  std::size_t batch_bytes_ = 0;
  std::vector<recorded_event> stored_;  // a page of the target, for comparing
  std::uint64_t written_ = 0;
  std::uint64_t skipped_ = 0;
};

}  // namespace annal::cli
