// HTTP requests and responses as the server hands them to handlers: plain values, no sockets.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace annal::http {

/// Header fields in the order they were sent or set. Names compare case-insensitively.
using header_list = std::vector<std::pair<std::string, std::string>>;

/// The value of the first field named `name` (case-insensitive), or nullptr. Never throws.
const std::string* find_header(const header_list& headers, std::string_view name) noexcept;

/// A request the server read in full (header and body).
struct request {
  /// "GET", "POST", ... as sent.
  std::string method;
  /// The request target exactly as sent, e.g. "/orders/a%20b?limit=5". Not decoded: escape it
  /// before printing it (see escape_for_log).
  std::string target;
  /// The target's path, percent-decoded ("/orders/a b"). May hold any byte, "/" and NUL included.
  std::string path;
  /// The query parameters in the order sent, names and values percent-decoded and "+" read as a
  /// space. A parameter without "=" has an empty value.
  std::vector<std::pair<std::string, std::string>> query;
  /// The parameters the matched route's pattern names ("{id}" -> "id"), percent-decoded.
  std::vector<std::pair<std::string, std::string>> path_params;
  header_list headers;
  std::string body;
  /// The peer, "ADDRESS:PORT" ("[::1]:PORT" for IPv6).
  std::string remote;

  /// The first header field named `name`, or nullptr when absent. Never throws.
  const std::string* header(std::string_view name) const noexcept {
    return find_header(headers, name);
  }
  /// How many header fields are named `name` (case-insensitive).
  std::size_t header_count(std::string_view name) const noexcept;
  /// How many times the query names `name`.
  std::size_t query_count(std::string_view name) const noexcept;
  /// The value of the first query parameter named `name`, or nullopt. Never throws.
  std::optional<std::string_view> query_param(std::string_view name) const noexcept;
  /// The path parameter `name` of the matched route. Throws std::out_of_range when the route's
  /// pattern has no such parameter (a programming error).
  const std::string& path_param(std::string_view name) const;
};

/// A response a handler returns. The server adds Content-Length and Connection.
struct response {
  int status = 200;
  header_list headers;
  std::string body;

  /// Sets header `name` to `value`, replacing every field of that name.
  void set_header(std::string_view name, std::string value);
  /// The first header field named `name`, or nullptr. Never throws.
  const std::string* header(std::string_view name) const noexcept {
    return find_header(headers, name);
  }
};

/// A response with `body` and a Content-Type. Never throws but std::bad_alloc.
response make_response(int status, std::string body, std::string content_type);

}  // namespace annal::http
