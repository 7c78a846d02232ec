// URI parsing and backend selection for open_store().
#include "annal/open_store.hpp"

#include <charconv>

#include "annal/error.hpp"
#include "core/store_uri.hpp"
#include "io/file_system.hpp"
#include "segment/segment_store.hpp"
#include "sqlite/sqlite_store.hpp"

namespace annal {
namespace {

std::uint64_t parse_number(std::string_view key, std::string_view value) {
  std::uint64_t n = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (error != std::errc() || end != value.data() + value.size()) {
    throw invalid_argument("store URI option '" + std::string(key) + "' needs a number, not '" +
                           std::string(value) + "'");
  }
  return n;
}

void apply_option(store_options& options, std::string_view key, std::string_view value) {
  if (key == "segment_size") {
    options.segment_size = parse_number(key, value);
  } else if (key == "durability") {
    if (value == "sync_each_batch") {
      options.durability = durability_mode::sync_each_batch;
    } else if (value == "os_buffered") {
      options.durability = durability_mode::os_buffered;
    } else {
      throw invalid_argument(
          "store URI option durability must be sync_each_batch or "
          "os_buffered, not '" +
          std::string(value) + "'");
    }
  } else if (key == "repair_by_truncation") {
    if (value != "true" && value != "false") {
      throw invalid_argument("store URI option repair_by_truncation must be true or false");
    }
    options.repair_by_truncation = value == "true";
  } else if (key == "poll_interval_ms") {
    options.poll_interval = std::chrono::milliseconds(parse_number(key, value));
  } else if (key == "sqlite_cache_mib") {
    options.sqlite_cache_mib =
        static_cast<int>(std::min<std::uint64_t>(parse_number(key, value), 1u << 20));
  } else {
    throw invalid_argument("unknown store URI option '" + std::string(key) + "'");
  }
}

// Splits "PATH?k=v&k=v" into the path and the options applied to `options`.
std::string_view parse_options(std::string_view rest, store_options& options) {
  auto question = rest.find('?');
  if (question == std::string_view::npos) return rest;
  std::string_view query = rest.substr(question + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      throw invalid_argument("store URI option '" + std::string(pair) + "' is not KEY=VALUE");
    }
    apply_option(options, pair.substr(0, eq), pair.substr(eq + 1));
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  return rest.substr(0, question);
}

}  // namespace

namespace detail {

store_uri parse_store_uri(std::string_view uri, const store_options& options) {
  auto colon = uri.find(':');
  if (colon == std::string_view::npos) {
    throw invalid_argument("store URI '" + std::string(uri) +
                           "' has no scheme; expected sqlite:PATH or segment:DIR");
  }
  if (uri.find('\0') != std::string_view::npos) {
    throw invalid_argument("store URI contains a NUL byte");
  }
  store_uri parsed;
  parsed.scheme = std::string(uri.substr(0, colon));
  parsed.options = options;
  parsed.path = std::string(parse_options(uri.substr(colon + 1), parsed.options));
  if (parsed.scheme == "sqlite") {
    if (parsed.path.empty()) throw invalid_argument("store URI 'sqlite:' needs a file path");
  } else if (parsed.scheme == "segment") {
    if (parsed.path.empty()) throw invalid_argument("store URI 'segment:' needs a directory");
  } else {
    throw invalid_argument("store URI '" + std::string(uri) + "' has unknown scheme '" +
                           parsed.scheme + "'; known schemes: sqlite, segment");
  }
  return parsed;
}

}  // namespace detail

std::unique_ptr<event_store> open_store(std::string_view uri, const store_options& options) {
  detail::store_uri parsed = detail::parse_store_uri(uri, options);
  if (parsed.scheme == "sqlite") {
    return std::make_unique<sqlite_store>(std::move(parsed.path), parsed.options);
  }
  return std::make_unique<segment_store>(std::move(parsed.path), parsed.options,
                                         io::posix_file_system());
}

}  // namespace annal
