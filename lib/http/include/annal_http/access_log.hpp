// One line per answered request, with every client-controlled field escaped.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace annal::http {

/// What the server reports of each reply it wrote (the access-log hook's argument). The views
/// are valid during the call only.
struct access_log_entry {
  /// The peer, "ADDRESS:PORT".
  std::string_view remote;
  /// The request's method and target as sent (unescaped), "-" when the server answered before
  /// it could read them (e.g. 503 to a connection over the limit, 431 to a header too large).
  std::string_view method;
  std::string_view target;
  int status = 0;
  /// Bytes of the reply's body.
  std::size_t body_bytes = 0;
  /// From the first byte of the request to the end of the reply.
  std::chrono::microseconds duration{0};
};

/// `text` with every byte outside printable ASCII (0x20-0x7e), and the backslash and double
/// quote, written as \xNN (\\ and \" for those two): safe to print on a terminal and in a line-based
/// log, and unambiguous. Never throws but std::bad_alloc.
std::string escape_for_log(std::string_view text);

/// `REMOTE "METHOD TARGET" STATUS BYTES DURATIONms`, each client-controlled field escaped by
/// escape_for_log, without a line break. Never throws but std::bad_alloc.
std::string format_access_log_line(const access_log_entry& entry);

}  // namespace annal::http
