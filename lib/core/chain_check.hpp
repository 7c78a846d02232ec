// Checking a store's hash chain: every batch's stored link against its events and the link
// before it, reporting the first broken link.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "annal/event_store.hpp"
#include "core/sha256.hpp"

namespace annal::detail {

/// One batch of the log as its backend stored it, with its link.
struct stored_batch_link {
  std::uint64_t first_position = 0;
  std::uint64_t last_position = 0;
  /// The link stored with the batch; empty for a batch stored before the backend stored links
  /// (a segment written by an older annal), whose link the check computes from its events.
  std::optional<sha256_digest> link;
  /// Where the batch is stored, for reports: a segment file's name (and the file that holds its
  /// link, when another), the SQLite database file, or the PostgreSQL table.
  std::string file;
  /// True when no link is stored for the batch yet because the backend stores it later: the
  /// segment log stores a commit group's links with the next group's first frame. The check
  /// computes such a link, as for a batch without one.
  bool link_pending = false;
};

/// A backend that stores the hash chain. Every backend's store implements it beside
/// event_store; check_chain() finds it with dynamic_cast.
class chain_source {
 public:
  virtual ~chain_source() = default;
  /// The batches whose first position is `from_position` or later, in position order, at most
  /// `max_count` (at least one when any is stored). Throws what reading the store throws. Safe
  /// to call beside appends; must not race close().
  virtual std::vector<stored_batch_link> read_batch_links(std::uint64_t from_position,
                                                          std::size_t max_count) = 0;

 protected:
  chain_source() = default;
  chain_source(const chain_source&) = default;
  chain_source& operator=(const chain_source&) = default;
};

/// What check_chain() found.
struct chain_report {
  std::uint64_t batches_checked = 0;
  std::uint64_t events_checked = 0;
  /// The batches checked whose link the backend did not store (older segments): their links
  /// are computed, and the first stored link after them vouches for them all.
  std::uint64_t batches_without_link = 0;
  /// The batches at the log's end whose link is stored with the next commit group
  /// (stored_batch_link::link_pending): nothing stored vouches for them yet.
  std::uint64_t batches_awaiting_link = 0;
  /// The position the check started from: 1, or the log's start after segment retention
  /// deleted its oldest segments (the first batch's link is then taken as given).
  std::uint64_t first_position = 1;
  /// The first batch whose stored link does not follow from its events and the link before it,
  /// or whose events are not where the chain says; empty when the chain holds.
  std::optional<stored_batch_link> broken;
  /// What is wrong at `broken`, one line.
  std::string problem;
  bool ok() const noexcept { return !broken.has_value(); }
};

/// Checks the chain over the log's batches up to the head as it was when the check started:
/// recomputes each batch's link from its events as stored and the previous link, compares it with
/// the stored one, and stops at the first that differs. Reads the whole log once; memory stays
/// bounded by a page of events. Throws annal::invalid_argument for a store whose backend keeps
/// no chain, and what reading the store throws; a broken chain is reported, not thrown.
chain_report check_chain(event_store& store);

}  // namespace annal::detail
