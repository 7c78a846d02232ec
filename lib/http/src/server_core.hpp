// What the server's acceptor and its connections share: options, routes, the I/O context, the
// worker pool, the registry of open connections and the buffered-body budget.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <cstddef>
#include <string_view>
#include <unordered_set>

#include "annal_http/server.hpp"

namespace annal::http::detail {

class connection;

/// The state behind a server. Members marked "I/O thread" are touched only by the thread in
/// server::run().
class server_core {
 public:
  server_core(server_options options, router routes);

  /// Serves until stopped (server::run()).
  void run();
  /// Asks run() to stop (server::stop()); any thread.
  void request_stop();
  /// Stops accepting and closes idle connections (I/O thread).
  void begin_stop();

  /// Adds and removes an open connection (I/O thread).
  void add(connection* c);
  void remove(connection* c);

  /// Reserves `bytes` of the buffered-body budget; false when they do not fit (I/O thread).
  bool reserve_body(std::size_t bytes);
  void release_body(std::size_t bytes);

  /// The reply the server makes itself for `status` (see error_reply); never throws.
  response error_response(int status, std::string_view code, std::string_view message) const;
  /// Runs a route's handler (worker thread). Its exception, or a status outside 100-599, becomes
  /// a 500 reply, the reason going to the error log. Never throws but std::bad_alloc.
  response call_handler(const handler& h, const request& req) const;
  /// Writes one line to the error log; never throws.
  void log_error(std::string_view line) const;

  const server_options& options() const noexcept { return options_; }
  const router& routes() const noexcept { return routes_; }
  boost::asio::io_context& io() noexcept { return io_; }
  boost::asio::thread_pool& workers() noexcept { return workers_; }
  bool stopping() const noexcept { return stopping_; }
  std::uint16_t port() const noexcept { return port_; }
  std::size_t open_connections() const noexcept { return open_.load(); }

 private:
  void accept();
  void on_accept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);
  void bind();

  // Declared before the I/O context: destroying the context destroys handlers that own
  // connections, whose destructors still use these.
  server_options options_;
  router routes_;
  std::atomic<std::size_t> open_{0};
  std::atomic<bool> stop_requested_{false};
  // I/O thread:
  std::unordered_set<connection*> connections_;
  std::size_t rejecting_ = 0;
  std::size_t buffered_body_bytes_ = 0;
  bool stopping_ = false;

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  boost::asio::steady_timer accept_retry_{io_};
  boost::asio::thread_pool workers_;
  std::uint16_t port_ = 0;
};

}  // namespace annal::http::detail
