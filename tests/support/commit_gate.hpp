// commit_gate: holds a store's first commit group open so that appends queue behind it in order.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

#include "core/store_hooks.hpp"

namespace annal::test {

/// Store hooks that hold the first commit group of a store at its start until release(), and
/// count the appends that join the queue. A test appends one "blocker" to take the first group,
/// waits until it is held, then starts appends one at a time, each after the previous one has
/// queued: on a backend that groups commits they all form the next group, in that order; on one
/// that does not (SQLite) they commit one by one in that order. Thread-safe. Must outlive the
/// store opened with its hooks.
class commit_gate {
 public:
  /// The hooks to open the store with.
  detail::store_hooks hooks();
  /// Blocks until the first group is held. Throws std::runtime_error after 30 s.
  void wait_until_held();
  /// Blocks until `count` appends have queued since the gate was made (the blocker included).
  /// Throws std::runtime_error after 30 s.
  void wait_until_queued(std::size_t count);
  /// Lets the first group, and every later one, go.
  void release();

 private:
  void wait(const char* what, auto condition);

  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t queued_ = 0;
  bool held_ = false;
  bool released_ = false;
};

}  // namespace annal::test
