// One client connection: reads requests one at a time under deadlines, hands each to the
// worker pool, writes the replies in order, and closes gracefully.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "annal_http/message.hpp"
#include "annal_http/router.hpp"

namespace annal::http::detail {

class server_core;

/// A connection owned by the asynchronous operations pending on it (each holds a shared_ptr);
/// registered in the server_core from construction to its end. Every member runs on the I/O
/// thread; handlers run on the worker pool and post their reply back.
class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(server_core& core, boost::asio::ip::tcp::socket socket, bool rejected);
  ~connection();

  /// Starts serving: waits for the first request.
  void start();
  /// Answers 503 "too_many_connections" without reading a request, then closes.
  void reject();
  /// The server is stopping: closes the connection now if it is idle or still reading a header;
  /// otherwise the current request is finished and the connection closes after its reply.
  void on_stop();
  bool rejected() const noexcept { return rejected_; }

 private:
  enum class phase { idle, header, body, handling, writing, closing, done };
  using error_code = boost::system::error_code;

  void wait_for_request();
  void read_header();
  void on_header(const error_code& ec);
  void on_header_complete();
  // Answers a failed read of a request's `part` ("header" or "body"): 408, 413 or 400, or a
  // close when the client went away. False when `ec` is no failure.
  bool answer_read_failure(const error_code& ec, const char* part);
  void read_body();
  void on_body(const error_code& ec);
  void dispatch();
  void run_handler(const handler& h, request req);
  // Writes `res`; the connection closes after it when `close` or the server is stopping.
  void write(response res, bool close);
  void on_written(const error_code& ec);
  // An error reply of the server's own, see error_reply.
  void write_error(int status, const char* code, const std::string& message, bool close);
  // Shuts down sending, reads and discards what the client still sends (so it receives the last
  // reply rather than a reset) for a moment, then closes.
  void linger();
  void drain();
  // Ends the connection at once.
  void finish();
  void release_reservation();

  // Sets the deadline of the pending operation on the connection's one timer: when it passes,
  // the operation is cancelled and timed_out_ is set. disarm() clears it.
  void arm(std::chrono::steady_clock::duration timeout);
  void disarm();
  void wait_for_deadline();

  server_core& core_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer deadline_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  boost::beast::http::response<boost::beast::http::string_body> reply_;
  phase phase_ = phase::idle;
  bool rejected_ = false;
  bool timed_out_ = false;
  bool close_after_reply_ = false;
  bool client_keep_alive_ = false;
  unsigned version_ = 11;
  std::chrono::steady_clock::time_point deadline_at_ = std::chrono::steady_clock::time_point::max();
  bool timer_waiting_ = false;
  std::size_t reserved_body_ = 0;
  std::size_t drained_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::string remote_;
  std::string method_ = "-";
  std::string target_ = "-";
};

}  // namespace annal::http::detail
