// What the tool's commands share: opening stores, buffered standard output, event formats.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "annal/event_store.hpp"
#include "commands.hpp"

namespace annal::cli {

/// Checks that the file URI `uri` names a path of its backend's kind: an existing regular file
/// for sqlite, an existing directory for segment. Throws annal::io_error saying that the path
/// does not exist or what it is instead, and what parse_store_uri() throws for a malformed URI;
/// PostgreSQL URIs pass.
void check_store_path(const std::string& uri);

/// Opens an existing store: unlike open_store(), a URI naming a missing file or directory, or
/// a path of the wrong kind, is an error (a typo must not create an empty store). Throws
/// annal::io_error then, and what open_store() throws.
std::unique_ptr<event_store> open_existing_store(const std::string& uri);

/// Standard output through a large buffer: export writes millions of lines.
class stdout_buffer {
 public:
  stdout_buffer();
  ~stdout_buffer();
  stdout_buffer(const stdout_buffer&) = delete;
  stdout_buffer& operator=(const stdout_buffer&) = delete;

  std::string& text() noexcept { return text_; }
  /// Writes the buffer out once it is large.
  void maybe_flush();
  /// Writes everything buffered and flushes stdout. Throws annal::io_error when the write fails
  /// (a closed pipe, a full disk).
  void flush();

 private:
  std::string text_;
};

/// Prints events in `format`. The table format sizes its columns to each page of events and
/// prints its header before the first page.
class event_printer {
 public:
  event_printer(stdout_buffer& out, event_format format) : out_(out), format_(format) {}
  void print(std::span<const recorded_event> page);

 private:
  stdout_buffer& out_;
  event_format format_;
  bool header_done_ = false;
};

}  // namespace annal::cli
