// A LISTEN connection that reports each new head announced by appends of any process.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace annal::pg {

/// Listens on a store's NOTIFY channel on a connection and thread of its own.
///
/// Calls `on_head` with every head an append announces, and with the head read from the table
/// each time it (re)connects, so nothing committed while it was away is missed. Calls
/// `on_listening(true)` once listening and `on_listening(false)` when the connection drops;
/// then it reconnects with a backoff from 50 ms to 2 s. The callbacks run on its thread and must
/// not throw. The destructor stops the thread.
class head_listener {
 public:
  /// `before_listen` (a test seam, may be empty) runs before each connection attempt; throwing
  /// makes the attempt fail.
  head_listener(std::string conninfo, std::string channel, std::string head_table,
                std::function<void(std::uint64_t)> on_head, std::function<void(bool)> on_listening,
                std::function<void()> before_listen = {});
  ~head_listener();
  head_listener(const head_listener&) = delete;
  head_listener& operator=(const head_listener&) = delete;

 private:
  void run();
  void listen_until_dropped();
  bool sleep_unless_stopped(std::chrono::milliseconds d);

  std::string conninfo_;
  std::string channel_;
  std::string head_table_;
  std::function<void(std::uint64_t)> on_head_;
  std::function<void(bool)> on_listening_;
  std::function<void()> before_listen_;
  std::mutex mutex_;
  std::condition_variable stopped_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace annal::pg
