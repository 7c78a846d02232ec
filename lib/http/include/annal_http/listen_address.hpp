// Where a server listens: "HOST:PORT" parsed strictly, IPv6 in brackets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace annal::http {

/// A host (an IPv4 or IPv6 address, or a host name) and a TCP port (0: any free port).
struct listen_address {
  /// "127.0.0.1", "::1" (without brackets) or "localhost".
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;

  /// "HOST:PORT", with an IPv6 address in brackets: "[::1]:8080".
  std::string to_string() const;
};

/// Parses "HOST:PORT": an IPv4 address ("127.0.0.1:8080"), an IPv6 address in brackets
/// ("[::1]:8080"), or a host name of letters, digits, "-" and "." ("localhost:8080"); the port
/// is 0 to 65535 in decimal digits. Nothing else is accepted: trailing bytes, an IPv6 address
/// without brackets ("::1:8080", ambiguous), a missing or signed port.
/// Throws std::invalid_argument with a message saying what is wrong and what is expected.
listen_address parse_listen_address(std::string_view text);

}  // namespace annal::http
