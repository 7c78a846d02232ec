// The route table of a server: method + path pattern -> handler, with "{name}" path parameters.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "annal_http/message.hpp"

namespace annal::http {

/// Answers one request. Runs on a worker thread of the server, never on its I/O thread, so it
/// may block (store calls, fsyncs). An exception it throws becomes a 500 reply (the error goes
/// to the server's error log, not to the client).
using handler = std::function<response(const request&)>;

/// What a lookup in a router found.
struct route_match {
  enum class outcome { found, no_route, method_not_allowed, bad_path };
  outcome result = outcome::no_route;
  /// The handler when found.
  const handler* target = nullptr;
  /// Path parameters by name, percent-decoded, when found.
  std::vector<std::pair<std::string, std::string>> params;
  /// The methods the path accepts, comma-separated, when method_not_allowed.
  std::string allowed;
};

/// Routes requests by method and path. A pattern is a path of "/"-separated segments, each
/// literal ("orders") or a parameter ("{id}") that matches any one non-empty segment; "/" is
/// the root. Segments are compared after percent-decoding each one, so "%2F" inside a parameter
/// stays part of that parameter. Routes are tried in the order they were added.
///
/// Thread safety: add() before the server runs; match() may then be called from any number of
/// threads.
class router {
 public:
  /// Adds a route. Throws std::invalid_argument for an empty method, a pattern that does not
  /// start with "/", an empty or malformed "{}" segment, or a parameter named twice.
  void add(std::string method, std::string_view pattern, handler h);

  /// Finds the route of `method` and the raw (not yet decoded) `path` of a request target.
  /// bad_path when a segment's percent-encoding is malformed. Never throws but std::bad_alloc.
  route_match match(std::string_view method, std::string_view path) const;

 private:
  struct segment {
    std::string text;
    bool parameter = false;
  };
  struct route {
    std::string method;
    std::vector<segment> segments;
    handler h;
  };
  std::vector<route> routes_;
};

}  // namespace annal::http
