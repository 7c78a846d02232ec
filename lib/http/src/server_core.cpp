// The acceptor, the connection registry, the body budget and the graceful stop.
#include "server_core.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include <cstdio>
#include <vector>

#include "connection.hpp"

namespace annal::http::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

const server_options& checked(const server_options& o) {
  if (o.max_connections == 0 || o.max_header_bytes == 0 || o.max_body_bytes == 0 ||
      o.worker_threads == 0) {
    throw std::invalid_argument("server limits and the worker thread count must be above 0");
  }
  if (o.max_buffered_body_bytes < o.max_body_bytes) {
    throw std::invalid_argument("max_buffered_body_bytes must be at least max_body_bytes");
  }
  return o;
}

// Failures of accept() that the passing of time may cure: out of descriptors or memory.
bool is_resource_shortage(const boost::system::error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
         ec == asio::error::no_memory || ec.value() == ENFILE;
}

}  // namespace

server_core::server_core(server_options options, router routes)
    : options_(checked(options)),
      routes_(std::move(routes)),
      workers_(options_.worker_threads) {
  bind();
}

void server_core::bind() {
  const listen_address& where = options_.address;
  boost::system::error_code ec;
  tcp::resolver resolver(io_);
  auto endpoints = resolver.resolve(where.host, std::to_string(where.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (!ec && endpoints.empty()) ec = asio::error::host_not_found;
  if (!ec) {
    tcp::endpoint endpoint = *endpoints.begin();
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) port_ = acceptor_.local_endpoint(ec).port();
  }
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    throw listen_error("cannot listen on " + where.to_string() + ": " + ec.message());
  }
}

void server_core::run() {
  if (!stop_requested_) accept();
  io_.run();
  workers_.join();
}

void server_core::request_stop() {
  if (stop_requested_.exchange(true)) return;
  asio::post(io_, [this] { begin_stop(); });
}

void server_core::accept() {
  acceptor_.async_accept(io_, [this](const boost::system::error_code& ec, tcp::socket socket) {
    on_accept(ec, std::move(socket));
  });
}

void server_core::on_accept(const boost::system::error_code& ec, tcp::socket socket) {
  if (stopping_ || ec == asio::error::operation_aborted) return;
  if (ec) {
    log_error("accepting a connection failed: " + ec.message());
    if (is_resource_shortage(ec)) {
      // Retrying at once would spin; connections that close meanwhile free what is missing.
      accept_retry_.expires_after(std::chrono::milliseconds(100));
      accept_retry_.async_wait([this](const boost::system::error_code& wait) {
        if (!wait && !stopping_) accept();
      });
      return;
    }
    accept();
    return;
  }
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  if (connections_.size() - rejecting_ < options_.max_connections) {
    std::make_shared<connection>(*this, std::move(socket), false)->start();
  } else if (rejecting_ < options_.max_connections) {
    std::make_shared<connection>(*this, std::move(socket), true)->reject();
  } else {
    socket.close(ignored);  // even the refusals are at their limit
  }
  accept();
}

void server_core::begin_stop() {
  if (stopping_) return;
  stopping_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  std::vector<connection*> open(connections_.begin(), connections_.end());
  for (connection* c : open) c->on_stop();
}

void server_core::add(connection* c) {
  connections_.insert(c);
  if (c->rejected()) ++rejecting_;
  open_ = connections_.size();
}

void server_core::remove(connection* c) {
  if (connections_.erase(c) != 0 && c->rejected()) --rejecting_;
  open_ = connections_.size();
}

bool server_core::reserve_body(std::size_t bytes) {
  if (bytes > options_.max_buffered_body_bytes - buffered_body_bytes_) return false;
  buffered_body_bytes_ += bytes;
  return true;
}

void server_core::release_body(std::size_t bytes) { buffered_body_bytes_ -= bytes; }

response server_core::error_response(int status, std::string_view code,
                                     std::string_view message) const {
  if (options_.error_response) {
    try {
      return options_.error_response({status, code, message});
    } catch (const std::exception& e) {
      log_error(std::string("the error_response hook failed: ") + e.what());
    }
  }
  return make_response(status, std::string(message) + "\n", "text/plain; charset=utf-8");
}

response server_core::call_handler(const handler& h, const request& req) const {
  std::string failure;
  try {
    response res = h(req);
    if (res.status >= 100 && res.status <= 599) return res;
    failure = "returned status " + std::to_string(res.status);
  } catch (const std::exception& e) {
    failure = "failed: " + escape_for_log(e.what());
  } catch (...) {
    failure = "threw an exception that is not a std::exception";
  }
  log_error("a handler of " + escape_for_log(req.method) + " " + escape_for_log(req.target) + " " +
            failure);
  return error_response(500, "internal_error", "internal error");
}

void server_core::log_error(std::string_view line) const {
  try {
    if (options_.error_log) {
      options_.error_log(line);
      return;
    }
  } catch (...) {
    // fall through to standard error
  }
  std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
}

}  // namespace annal::http::detail
