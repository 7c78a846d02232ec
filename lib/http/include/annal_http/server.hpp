// A small HTTP/1.1 server: asynchronous I/O on one thread, handlers on a bounded worker pool.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "annal_http/access_log.hpp"
#include "annal_http/listen_address.hpp"
#include "annal_http/message.hpp"
#include "annal_http/router.hpp"

namespace annal::http {

namespace detail {
class server_core;
}

/// A reply the server makes itself, without a handler: the status, a stable code and a sentence.
/// Codes: "bad_request" (400: malformed HTTP or percent-encoding), "no_route" (404),
/// "method_not_allowed" (405), "request_timeout" (408: a header or body deadline passed),
/// "body_too_large" (413), "header_too_large" (431), "internal_error" (500: a handler threw),
/// "too_many_connections" and "server_busy" (503: the connection or the buffered-body limit).
struct error_reply {
  int status = 0;
  std::string_view code;
  std::string_view message;
};

/// Settings of a server. Every limit protects the server from its clients: the defaults suit a
/// JSON API on a private network.
struct server_options {
  listen_address address;
  /// Connections open at once; one more is answered 503 "too_many_connections" and closed.
  std::size_t max_connections = 1024;
  /// The request line and header fields together; more is 431 and the connection closes.
  std::size_t max_header_bytes = 16 * 1024;
  /// A request body; more is 413 and the connection closes. A Content-Length above it is
  /// answered before any of the body is read (and before "100 Continue").
  std::size_t max_body_bytes = 1024 * 1024;
  /// The request bodies all connections may hold in memory at once: a body whose
  /// Content-Length (max_body_bytes for a chunked one) does not fit beside the others is
  /// answered 503 "server_busy" before it is read. Must be at least max_body_bytes.
  std::size_t max_buffered_body_bytes = 64 * 1024 * 1024;
  /// From the first byte of a request to the end of its header; then 408 and the connection
  /// closes. Slow clients cannot hold a connection longer than this by sending a byte at a time.
  std::chrono::milliseconds header_timeout{10'000};
  /// From the end of the header to the end of the body; then 408 and close.
  std::chrono::milliseconds body_timeout{30'000};
  /// How long a connection may wait for its first request, or for the next one after a reply
  /// (keep-alive); then it is closed.
  std::chrono::milliseconds idle_timeout{5'000};
  /// How long writing a reply may take (a client that does not read); then the connection closes.
  std::chrono::milliseconds write_timeout{30'000};
  /// Threads that run handlers. Requests beyond them wait in a queue, at most one per connection.
  std::size_t worker_threads = 8;
  /// Called once per reply written, on the I/O thread: keep it quick. Empty: no access log.
  std::function<void(const access_log_entry&)> access_log;
  /// Receives the server's own problems (a handler's exception text, an accept failure), one
  /// line each, from any thread. Empty: standard error.
  std::function<void(std::string_view)> error_log;
  /// Builds the replies the server makes itself (see error_reply). Empty: a text/plain body
  /// holding the message. Must not throw.
  std::function<response(const error_reply&)> error_response;
};

/// Thrown by the server's constructor when it cannot listen.
class listen_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Serves HTTP/1.1 on one address. One I/O thread (the one in run()) reads and writes every
/// connection asynchronously, so an idle, half-sent or slow connection costs a timer and a
/// small buffer, never a thread; handlers run on `worker_threads` threads. Each connection
/// handles one request at a time: pipelined requests are read, answered and logged in the order
/// they were sent. Keep-alive follows HTTP/1.1 (Connection: close, HTTP/1.0).
///
/// Thread safety: stop(), port(), open_connections() from any thread; run() from one thread,
/// once. Lifetime: destroy the server only when run() is not running (call stop() and wait for
/// run() to return first); the routes' handlers must outlive run().
class server {
 public:
  /// Binds and listens (port 0 picks a free port), so clients may connect as soon as this
  /// returns; their requests are served once run() starts. Throws listen_error naming the
  /// address when it cannot be resolved or bound, std::invalid_argument for a
  /// max_buffered_body_bytes below max_body_bytes or a zero limit or thread count.
  server(server_options options, router routes);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// The bound port.
  std::uint16_t port() const noexcept;
  /// Connections open now (served or waiting), for monitoring and tests.
  std::size_t open_connections() const noexcept;

  /// Serves until stop(), then finishes: no new connections; idle connections and those still
  /// sending a header are closed; requests already read (and bodies being read, within their
  /// deadline) are handled and answered with "Connection: close". Returns when every
  /// connection is closed and every handler has returned. Returns at once when stop() came
  /// first.
  void run();
  /// Asks run() to finish as described there. Idempotent; may be called before run().
  void stop();

 private:
  std::unique_ptr<detail::server_core> core_;
};

}  // namespace annal::http
