// A forked child process with a pipe each way, for tests with real processes (kills, locks).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string>

namespace annal::test {

/// Forks a child that runs a function, with a pipe from parent to child and one back. Fork
/// before the parent opens any SQLite connection: connections must not cross a fork.
/// Not thread-safe; move-only in spirit (neither copyable nor movable).
class process {
 public:
  /// Forks. The child runs `body(*this)` and exits with status 0 when it returns, or 2 when it
  /// throws (after printing the exception to standard error); it never returns from here.
  explicit process(const std::function<void(process&)>& body);
  /// In the parent: kills a child still running (SIGKILL) and reaps it.
  ~process();
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  /// Sends bytes to the other side. A write of at most PIPE_BUF bytes is atomic: a kill never
  /// leaves part of it.
  void send(const void* data, std::size_t size);
  void send(const std::string& text) { send(text.data(), text.size()); }
  /// Reads exactly `size` bytes from the other side; false when it closed its end first.
  bool receive(void* data, std::size_t size);
  /// In the parent: everything the child sends until it exits.
  std::string receive_all();

  /// Hands the turn to the other side (one byte).
  void hand_over();
  /// Waits for the other side to hand the turn back; false when it has exited.
  bool wait_turn();

  /// In the parent: kills the child with SIGKILL.
  void kill();
  /// In the parent: waits for the child to end and returns its waitpid() status.
  int wait();
  /// In the parent: hands the turn over, waits for the child and returns its exit code (-1 when
  /// a signal ended it).
  int finish();

 private:
  int to_parent_[2] = {-1, -1};
  int to_child_[2] = {-1, -1};
  pid_t pid_ = -1;
  bool child_ = false;
  bool reaped_ = false;
};

}  // namespace annal::test
