// fetch(): connect, write one request, read one reply, all under one deadline.
#include "annal_http/client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "annal_http/listen_address.hpp"

namespace annal::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

// "http://HOST[:PORT]" -> host and port (80 when absent).
listen_address parse_base_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (url.substr(0, scheme.size()) != scheme) {
    throw client_error("the server URL must start with http://, not '" + std::string(url) + "'");
  }
  std::string_view authority = url.substr(scheme.size());
  if (!authority.empty() && authority.back() == '/') authority.remove_suffix(1);
  bool has_port = authority.find("]:") != std::string_view::npos ||
                  (!authority.empty() && authority.front() != '[' &&
                   authority.find(':') != std::string_view::npos);
  try {
    return parse_listen_address(has_port ? std::string(authority) : std::string(authority) + ":80");
  } catch (const std::invalid_argument& e) {
    throw client_error("bad server URL '" + std::string(url) + "': " + e.what());
  }
}

}  // namespace

response fetch(std::string_view base_url, std::string_view method, std::string_view target,
               std::string body, std::string_view content_type,
               std::chrono::milliseconds timeout) {
  listen_address where = parse_base_url(base_url);
  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::flat_buffer buffer;
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), std::string(target), 11};
  if (req.method() == bhttp::verb::unknown) req.method_string(method);
  req.set(bhttp::field::host, where.to_string());
  if (!content_type.empty()) req.set(bhttp::field::content_type, content_type);
  req.body() = std::move(body);
  req.keep_alive(false);
  req.prepare_payload();
  bhttp::response<bhttp::string_body> reply;
  boost::system::error_code failure;
  const char* step = "resolving";

  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto endpoints = resolver.resolve(where.host, std::to_string(where.port),
                                    tcp::resolver::numeric_service, ec);
  if (ec) throw client_error("cannot resolve " + where.host + ": " + ec.message());
  stream.expires_after(timeout);
  step = "connecting to";
  stream.async_connect(endpoints, [&](const boost::system::error_code& connected, const auto&) {
    if (connected) {
      failure = connected;
      return;
    }
    step = "sending to";
    bhttp::async_write(stream, req, [&](const boost::system::error_code& written, std::size_t) {
      if (written) {
        failure = written;
        return;
      }
      step = "reading the reply of";
      bhttp::async_read(stream, buffer, reply,
                        [&](const boost::system::error_code& read, std::size_t) { failure = read; });
    });
  });
  io.run();
  if (failure) {
    std::string why = failure == beast::error::timeout ? "timed out" : failure.message();
    throw client_error(std::string(step) + " " + where.to_string() + " failed: " + why);
  }
  response res;
  res.status = static_cast<int>(reply.result_int());
  for (const auto& field : reply) {
    res.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  res.body = std::move(reply.body());
  return res;
}

}  // namespace annal::http
