// Seams in the append path and the segment log's retention that tests inject to hold a commit
// group open, fail a step or wait for a background pass, and benchmarks to leave a cost out.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace annal::detail {

/// Callbacks a backend calls at fixed points of its append path. Production stores get none
/// (every member empty, each call a test of an empty std::function); tests pass them through
/// detail::open_store_with_hooks() to make an interleaving happen by construction. Each is
/// called from the thread named and must not call the store.
struct store_hooks {
  /// An append joined the queue of appends waiting to commit, and its turn is fixed: appends
  /// that join later commit after it (in its group or a later one). Called by the appending
  /// thread, possibly under the queue's lock: it must not block.
  std::function<void()> on_queued;
  /// A commit group was formed and is about to be decided and written: `group_size` appends
  /// (SQLite: always 1). Called by the committing thread with no lock of the queue held; it may
  /// block to let more appends queue up behind the group.
  std::function<void(std::size_t group_size)> before_group;
  /// PostgreSQL: the group's rows are written and COMMIT is next; `first_stream` is the stream
  /// of the group's first batch. May block (the head row stays locked meanwhile) or throw.
  std::function<void(std::string_view first_stream)> before_commit;
  /// PostgreSQL: the head listener is about to LISTEN on a new connection. May throw, which
  /// counts as a failed connection.
  std::function<void()> before_listen;
  /// Segment log: the retention thread finished a pass (it moved what was due, found nothing
  /// due, or failed and warned). Called by that thread with no lock held; it must not block.
  std::function<void()> after_retention;
  /// Segment log, benchmarks only: hash no link (each frame that would store links stores zeros
  /// in their place), to measure what the hash chain costs appends. A store written so holds a
  /// broken chain.
  bool without_chain = false;
};

}  // namespace annal::detail
