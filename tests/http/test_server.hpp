// A server of the HTTP library with a few test routes, serving on a thread of the test.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <annal_http/server.hpp>

#include "support/eventually.hpp"

namespace annal::http::test {

/// Serves on 127.0.0.1 and a free port until destroyed. Routes:
/// - GET /health: 200 "ok";
/// - POST /echo: 200 with the request body;
/// - GET /echo/{word}: 200 "word" plus "?" and the query as received, if any;
/// - POST /count: 200 with the number of /count requests handled so far, then the body;
/// - GET /block: waits until release() (see blocked()), then 200 "released";
/// - GET /throw: the handler throws std::runtime_error("secret detail").
/// Error-log lines are collected (error_lines()); access-log lines too (access_lines()).
class test_server {
 public:
  explicit test_server(server_options options = {});
  ~test_server();
  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;

  int port() const { return server_->port(); }
  server& get() { return *server_; }

  /// Waits until `count` GET /block handlers are running; false after `timeout`.
  bool wait_blocked(int count, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Lets every GET /block handler, running or to come, return.
  void release();
  /// Waits until the server has exactly `count` open connections; false after `timeout`.
  bool wait_connections(std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Stops the server and waits until run() returns; false when it did not within `timeout`.
  bool stop_and_wait(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  std::vector<std::string> error_lines() const;
  std::vector<std::string> access_lines() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int blocked_ = 0;
  bool released_ = false;
  int counted_ = 0;
  std::vector<std::string> errors_;
  std::vector<std::string> access_;
  std::unique_ptr<server> server_;
  std::future<void> running_;
};

using annal::test::eventually;

/// "METHOD TARGET HTTP/1.1" with a Host header, `extra` header lines (each ending in \r\n) and
/// the body with its Content-Length (none when `body` is empty and `method` is GET).
std::string request_text(const std::string& method, const std::string& target,
                         const std::string& body = {}, const std::string& extra = {});

}  // namespace annal::http::test
