// A raw TCP client for tests of HTTP servers: sends any bytes, reads replies, sees closes.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace annal::test {

/// A reply read off a raw connection: status, header fields, body (framed by Content-Length).
struct raw_reply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  /// The first field named `name` (case-insensitive), "" when absent.
  std::string header(std::string_view name) const;
};

/// One TCP connection to a loopback server, written and read byte by byte as a test needs:
/// half-sent requests, pipelined requests, bodies larger than announced. Not thread-safe.
class raw_connection {
 public:
  /// Connects to `host` (an IPv4 or IPv6 address) and `port`. Throws std::system_error when the
  /// connection is refused or fails.
  explicit raw_connection(int port, const std::string& host = "127.0.0.1");
  ~raw_connection();
  raw_connection(raw_connection&& other) noexcept;
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  /// Sends all of `bytes`; false when the server closed or reset the connection first.
  bool send(std::string_view bytes);
  /// Reads one reply (an interim "100 Continue" too), waiting at most `timeout` for it to be
  /// complete; nullopt when the connection closed or the time passed first. Bytes after the
  /// reply are kept for the next.
  std::optional<raw_reply> read_reply(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Waits until the server closes the connection (end of stream or reset), discarding what it
  /// sends meanwhile: true; false when `timeout` passes first.
  bool wait_closed(std::chrono::milliseconds timeout);
  /// Whether the server has closed the connection already, without waiting.
  bool closed_by_peer();

 private:
  // Reads what is available within `deadline` into pending_; false on end of stream, error or
  // timeout.
  bool fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string pending_;
};

/// Slow-header clients (the "slowloris" attack): each sends the start of a request to `target`
/// and then one more byte of an endless header field every `pace`, from a thread of its own,
/// until destroyed.
class slow_header_clients {
 public:
  slow_header_clients(int port, int count, const std::string& target,
                      std::chrono::milliseconds pace = std::chrono::milliseconds(100));
  ~slow_header_clients();
  slow_header_clients(const slow_header_clients&) = delete;
  slow_header_clients& operator=(const slow_header_clients&) = delete;

  /// How many of the clients the server has closed. Stops the clients' sending first.
  std::size_t closed_by_peer();

 private:
  void stop();

  std::vector<raw_connection> clients_;
  std::chrono::milliseconds pace_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

/// Raises the soft limit of open files to the hard limit, for tests that open hundreds of
/// connections. Returns the new soft limit.
std::size_t raise_open_file_limit();

}  // namespace annal::test
