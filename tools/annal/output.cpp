// Store opening, stdout buffering and the table, json and jsonl event formats.
#include "output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "annal/detail/time_text.hpp"
#include "annal/error.hpp"
#include "annal/open_store.hpp"
#include "backends/backend_table.hpp"
#include "core/store_uri.hpp"
#include "event_line.hpp"

namespace annal::cli {
namespace {

constexpr std::size_t flush_size = 1u << 20;

// The payload in one line: compact JSON as stored, or a size for other bytes.
std::string payload_summary(const recorded_event& e) {
  if (e.encoding == payload_encoding::json &&
      e.payload.find_first_of("\n\r") == std::string::npos) {
    return e.payload;
  }
  return fmt::format("<{} bytes, {}>", e.payload.size(),
                     e.encoding == payload_encoding::json ? "json" : "binary");
}

// The type, with its version when that is not 1: "order.item_added v2".
std::string type_label(const recorded_event& e) {
  return e.type_version == 1 ? e.type : fmt::format("{} v{}", e.type, e.type_version);
}

}  // namespace

void check_store_path(const std::string& uri) {
  detail::store_uri parsed = detail::parse_store_uri(uri, {});
  detail::backend_of(parsed).require_existing(parsed);
}

std::unique_ptr<event_store> open_existing_store(const std::string& uri) {
  check_store_path(uri);
  return open_store(uri);
}

stdout_buffer::stdout_buffer() { text_.reserve(flush_size + (64u << 10)); }

stdout_buffer::~stdout_buffer() {
  try {
    flush();
  } catch (const error&) {
    // The command's own error, if any, is already being reported.
  }
}

void stdout_buffer::maybe_flush() {
  if (text_.size() >= flush_size) flush();
}

void stdout_buffer::flush() {
  if (!text_.empty() && std::fwrite(text_.data(), 1, text_.size(), stdout) != text_.size()) {
    text_.clear();
    throw io_error(errno, "standard output", "cannot write the output");
  }
  text_.clear();
  if (std::fflush(stdout) != 0) throw io_error(errno, "standard output", "cannot write the output");
}

void event_printer::print(std::span<const recorded_event> page) {
  std::string& out = out_.text();
  if (format_ != event_format::table) {
    for (const auto& e : page) {
      if (format_ == event_format::jsonl) {
        append_event_line(out, e);
      } else {
        out += pretty_event(e);
        out += '\n';
      }
      out_.maybe_flush();
    }
    return;
  }
  std::size_t stream_width = 6, type_width = 4;  // the headers' widths
  for (const auto& e : page) {
    stream_width = std::max(stream_width, e.stream_id.size());
    type_width = std::max(type_width, type_label(e).size());
  }
  auto row = [&](auto position, std::string_view stream, auto version, std::string_view type,
                 std::string_view timestamp, std::string_view payload) {
    fmt::format_to(std::back_inserter(out), "{:>10}  {:<{}}  {:>7}  {:<{}}  {:<27}  {}\n", position,
                   stream, stream_width, version, type, type_width, timestamp, payload);
  };
  if (!header_done_ && !page.empty()) {
    row("POSITION", "STREAM", "VERSION", "TYPE", "TIMESTAMP", "PAYLOAD");
    header_done_ = true;
  }
  for (const auto& e : page) {
    row(e.position, e.stream_id, e.stream_version, type_label(e),
        detail::format_rfc3339(e.timestamp), payload_summary(e));
    out_.maybe_flush();
  }
}

}  // namespace annal::cli
