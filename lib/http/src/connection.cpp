// A connection's life: idle, header, body, handler, reply, then the next request or a close.
#include "connection.hpp"

#include <strings.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <cstdint>

#include "annal_http/access_log.hpp"
#include "server_core.hpp"
#include "url.hpp"

namespace annal::http::detail {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

// How long a closing connection keeps reading what the client still sends, and how much: long
// enough for a client that is still sending a refused body to read the reply instead of a reset.
constexpr auto linger_time = std::chrono::seconds(1);
constexpr std::size_t linger_bytes = 1024 * 1024;
constexpr std::size_t drain_chunk = 4096;
constexpr char continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";
// The read buffer an idle connection may keep from its last request.
constexpr std::size_t idle_buffer_bytes = 4096;
constexpr auto no_deadline = std::chrono::steady_clock::time_point::max();

std::string endpoint_text(const tcp::socket& socket) {
  boost::system::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "-";
  auto address = endpoint.address();
  std::string host = address.to_string();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(endpoint.port());
}

// Framing is the server's business: a handler's Content-Length, Transfer-Encoding or Connection
// header is dropped.
bool is_framing_header(const std::string& name) {
  return strcasecmp(name.c_str(), "Content-Length") == 0 ||
         strcasecmp(name.c_str(), "Transfer-Encoding") == 0 ||
         strcasecmp(name.c_str(), "Connection") == 0;
}

bool is_http_error(const boost::system::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::need_more).category();
}

}  // namespace

connection::connection(server_core& core, tcp::socket socket, bool rejected)
    : core_(core),
      socket_(std::move(socket)),
      deadline_(core.io()),
      buffer_(core.options().max_header_bytes + drain_chunk),
      rejected_(rejected),
      started_(std::chrono::steady_clock::now()),
      remote_(endpoint_text(socket_)) {
  core_.add(this);
}

connection::~connection() {
  if (phase_ != phase::done) {
    release_reservation();
    core_.remove(this);
  }
}

void connection::start() { wait_for_request(); }

void connection::reject() {
  write_error(503, "too_many_connections",
              "the server has too many open connections; try again later", true);
}

void connection::on_stop() {
  if (phase_ == phase::idle || phase_ == phase::header) finish();
}

void connection::arm(std::chrono::steady_clock::duration timeout) {
  timed_out_ = false;
  deadline_at_ = std::chrono::steady_clock::now() + timeout;
  // A pending wait that ends no later than the new deadline is kept: when it ends, it waits
  // again for what is left. So a busy keep-alive connection rarely touches its timer.
  if (!timer_waiting_ || deadline_.expiry() > deadline_at_) wait_for_deadline();
}

void connection::disarm() { deadline_at_ = no_deadline; }

void connection::wait_for_deadline() {
  timer_waiting_ = true;
  deadline_.expires_at(deadline_at_);  // a wait pending before ends with operation_aborted
  deadline_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (ec) return;  // replaced by a newer wait, or the connection finished
    self->timer_waiting_ = false;
    if (self->phase_ == phase::done || self->deadline_at_ == no_deadline) return;
    if (std::chrono::steady_clock::now() < self->deadline_at_) {
      self->wait_for_deadline();
      return;
    }
    self->timed_out_ = true;
    error_code ignored;
    self->socket_.cancel(ignored);
  });
}

void connection::release_reservation() {
  if (reserved_body_ == 0) return;
  core_.release_body(reserved_body_);
  reserved_body_ = 0;
}

void connection::wait_for_request() {
  parser_.reset();
  method_ = "-";
  target_ = "-";
  if (core_.stopping()) {
    linger();
    return;
  }
  if (buffer_.size() > 0) {  // a pipelined request is already here
    read_header();
    return;
  }
  // Idle: a small buffer at most, the timer and a wait for the socket to become readable.
  if (buffer_.capacity() > idle_buffer_bytes) buffer_.shrink_to_fit();
  phase_ = phase::idle;
  arm(core_.options().idle_timeout);
  socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](const error_code& ec) {
    if (self->phase_ == phase::done) return;
    self->disarm();
    if (ec) {
      self->finish();  // idle too long, or the server is stopping
      return;
    }
    self->read_header();
  });
}

void connection::read_header() {
  phase_ = phase::header;
  started_ = std::chrono::steady_clock::now();
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(core_.options().max_header_bytes, UINT32_MAX)));
  parser_->body_limit(core_.options().max_body_bytes);
  arm(core_.options().header_timeout);
  bhttp::async_read_header(socket_, buffer_, *parser_,
                           [self = shared_from_this()](const error_code& ec, std::size_t) {
                             self->on_header(ec);
                           });
}

void connection::on_header(const error_code& ec) {
  if (phase_ == phase::done) return;
  disarm();
  // The request line, for the access log, also when a later part of the header is refused.
  const auto& header = parser_->get();
  if (!header.target().empty()) {
    method_ = std::string(header.method_string());
    target_ = std::string(header.target());
  }
  if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
    write_error(431, "header_too_large", "the request header is too large", true);
  } else if (!answer_read_failure(ec, "header")) {
    on_header_complete();
  }
}

bool connection::answer_read_failure(const error_code& ec, const char* part) {
  if (!ec) return false;
  if (ec == asio::error::operation_aborted && timed_out_) {
    write_error(408, "request_timeout",
                "the request " + std::string(part) + " did not arrive in time", true);
  } else if (ec == bhttp::error::body_limit) {
    write_error(413, "body_too_large", "the request body is too large", true);
  } else if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
    finish();  // the client closed the connection
  } else if (is_http_error(ec)) {
    write_error(400, "bad_request", "the request is not valid HTTP/1.1", true);
  } else {
    finish();
  }
  return true;
}

void connection::on_header_complete() {
  const auto& header = parser_->get();
  version_ = header.version();
  client_keep_alive_ = header.keep_alive();
  std::size_t max_body = core_.options().max_body_bytes;
  std::size_t need = 0;
  if (auto length = parser_->content_length()) {
    if (*length > max_body) {
      write_error(413, "body_too_large", "the request body is too large", true);
      return;
    }
    need = static_cast<std::size_t>(*length);
  } else if (parser_->chunked()) {
    need = max_body;
  }
  if (need > 0) {
    if (!core_.reserve_body(need)) {
      write_error(503, "server_busy", "the server is receiving too many request bodies; try again",
                  true);
      return;
    }
    reserved_body_ = need;
  }
  if (parser_->is_done()) {
    dispatch();
    return;
  }
  if (boost::beast::iequals(header[bhttp::field::expect], "100-continue")) {
    phase_ = phase::body;
    arm(core_.options().write_timeout);
    asio::async_write(socket_, asio::buffer(continue_line, sizeof continue_line - 1),
                      [self = shared_from_this()](const error_code& ec, std::size_t) {
                        if (self->phase_ == phase::done) return;
                        self->disarm();
                        if (ec) {
                          self->finish();
                          return;
                        }
                        self->read_body();
                      });
    return;
  }
  read_body();
}

void connection::read_body() {
  phase_ = phase::body;
  arm(core_.options().body_timeout);
  bhttp::async_read(socket_, buffer_, *parser_,
                    [self = shared_from_this()](const error_code& ec, std::size_t) {
                      self->on_body(ec);
                    });
}

void connection::on_body(const error_code& ec) {
  if (phase_ == phase::done) return;
  disarm();
  if (!answer_read_failure(ec, "body")) dispatch();
}

void connection::dispatch() {
  phase_ = phase::handling;
  auto message = parser_->release();
  parser_.reset();
  request req;
  req.method = method_;
  req.target = target_;
  req.remote = remote_;
  for (const auto& field : message) {
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  req.body = std::move(message.body());
  if (target_.empty() || target_.front() != '/') {
    write_error(400, "bad_request", "the request target must be a path", false);
    return;
  }
  auto parts = split_target(target_);
  auto path = percent_decode(parts.path, false);
  auto query = parse_query(parts.query);
  if (!path || !query) {
    write_error(400, "bad_request", "the request target has a malformed percent-encoding", false);
    return;
  }
  req.path = std::move(*path);
  req.query = std::move(*query);
  auto found = core_.routes().match(method_, parts.path);
  switch (found.result) {
    case route_match::outcome::found:
      req.path_params = std::move(found.params);
      run_handler(*found.target, std::move(req));
      return;
    case route_match::outcome::method_not_allowed: {
      auto reply = core_.error_response(405, "method_not_allowed",
                                        "this path does not accept the request's method");
      reply.set_header("Allow", found.allowed);
      write(std::move(reply), false);
      return;
    }
    case route_match::outcome::bad_path:
      write_error(400, "bad_request", "the request target has a malformed percent-encoding", false);
      return;
    case route_match::outcome::no_route:
      write_error(404, "no_route", "no such route", false);
      return;
  }
}

void connection::run_handler(const handler& h, request req) {
  // The guard keeps run() from returning while the handler runs and no I/O is pending.
  auto guard = asio::make_work_guard(core_.io());
  asio::post(core_.workers(), [self = shared_from_this(), &h, req = std::move(req),
                               guard = std::move(guard)]() mutable {
    response res = self->core_.call_handler(h, req);
    auto& io = self->core_.io();
    asio::post(io, [self = std::move(self), res = std::move(res)]() mutable {
      self->write(std::move(res), false);
    });
  });
}

void connection::write_error(int status, const char* code, const std::string& message,
                             bool close) {
  write(core_.error_response(status, code, message), close);
}

void connection::write(response res, bool close) {
  if (phase_ == phase::done) return;
  release_reservation();
  phase_ = phase::writing;
  close_after_reply_ = close || !client_keep_alive_ || core_.stopping();
  reply_ = {};
  reply_.version(version_);
  reply_.result(static_cast<unsigned>(res.status));
  for (auto& [name, value] : res.headers) {
    if (!is_framing_header(name)) reply_.insert(name, value);
  }
  reply_.body() = std::move(res.body);
  reply_.keep_alive(!close_after_reply_);
  reply_.prepare_payload();
  arm(core_.options().write_timeout);
  bhttp::async_write(socket_, reply_, [self = shared_from_this()](const error_code& ec, std::size_t) {
    self->on_written(ec);
  });
}

void connection::on_written(const error_code& ec) {
  if (phase_ == phase::done) return;
  disarm();
  if (const auto& log = core_.options().access_log) {
    access_log_entry entry;
    entry.remote = remote_;
    entry.method = method_;
    entry.target = target_;
    entry.status = static_cast<int>(reply_.result_int());
    entry.body_bytes = reply_.body().size();
    entry.duration = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started_);
    try {
      log(entry);
    } catch (const std::exception& e) {
      core_.log_error(std::string("the access log failed: ") + e.what());
    }
  }
  reply_ = {};
  if (ec) {
    finish();
  } else if (close_after_reply_) {
    linger();
  } else {
    wait_for_request();
  }
}

void connection::linger() {
  if (phase_ == phase::done) return;
  phase_ = phase::closing;
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  buffer_.consume(buffer_.size());
  drained_ = 0;
  arm(linger_time);
  drain();
}

void connection::drain() {
  socket_.async_read_some(buffer_.prepare(drain_chunk),
                          [self = shared_from_this()](const error_code& ec, std::size_t n) {
                            if (self->phase_ == phase::done) return;
                            self->drained_ += n;
                            if (ec || self->drained_ >= linger_bytes) {
                              self->finish();
                              return;
                            }
                            self->drain();
                          });
}

void connection::finish() {
  if (phase_ == phase::done) return;
  phase_ = phase::done;
  disarm();
  deadline_.cancel();
  error_code ignored;
  socket_.close(ignored);
  release_reservation();
  core_.remove(this);
}

}  // namespace annal::http::detail
