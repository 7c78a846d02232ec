// A blocking one-request HTTP client, for command lines that talk to a running server.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

#include "annal_http/message.hpp"

namespace annal::http {

/// Thrown by fetch() when no reply was received: the message says why.
class client_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Sends `method target` with `body` (and Content-Type `content_type` when not empty) to the
/// server at `base_url` ("http://HOST:PORT" or "http://HOST", IPv6 in brackets) on a connection
/// of its own, and returns the reply (any status). `timeout` bounds the whole exchange. Throws
/// client_error when the URL is malformed, the server cannot be reached, or the reply is not
/// HTTP or does not arrive in time. Thread-safe (nothing is shared between calls).
response fetch(std::string_view base_url, std::string_view method, std::string_view target,
               std::string body = {}, std::string_view content_type = {},
               std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace annal::http
