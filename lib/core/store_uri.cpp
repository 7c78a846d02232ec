// Parsing of store URIs: the scheme, the path and the `?key=value` options.
#include "core/store_uri.hpp"

#include <algorithm>
#include <charconv>

#include "annal/error.hpp"

namespace annal::detail {
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

// A duration in milliseconds, at most a day: longer waits are mistakes, and a bounded value
// cannot overflow when added to a time point.
std::chrono::milliseconds milliseconds_option(std::string_view key, std::string_view value) {
  constexpr std::uint64_t day_ms = 24 * 60 * 60 * 1000;
  std::uint64_t ms = parse_number(key, value);
  if (ms > day_ms) {
    throw invalid_argument("store URI option '" + std::string(key) + "' is over a day (" +
                           std::to_string(day_ms) + " ms)");
  }
  return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(ms));
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
    options.poll_interval = milliseconds_option(key, value);
  } else if (key == "sqlite_cache_mib") {
    options.sqlite_cache_mib =
        static_cast<int>(std::min<std::uint64_t>(parse_number(key, value), 1u << 20));
  } else if (key == "sqlite_busy_timeout_ms") {
    options.sqlite_busy_timeout = milliseconds_option(key, value);
  } else if (key == "max_payload_size") {
    options.max_payload_size = static_cast<std::size_t>(
        std::min<std::uint64_t>(parse_number(key, value), max_payload_size + 1));
  } else if (key == "stuck_writer_timeout_ms") {
    options.postgres_stuck_writer_timeout = milliseconds_option(key, value);
  } else if (key == "schema") {
    options.postgres_schema = std::string(value);
  } else {
    throw invalid_argument("unknown store URI option '" + std::string(key) + "'");
  }
}

bool is_annal_option(std::string_view key) {
  for (std::string_view known :
       {"poll_interval_ms", "max_payload_size", "schema", "stuck_writer_timeout_ms"}) {
    if (key == known) return true;
  }
  return false;
}

// Calls `f(key, value, pair)` for each `key=value` of a query string `k=v&k=v`.
template <class F>
void for_each_option(std::string_view query, F&& f) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      throw invalid_argument("store URI option '" + std::string(pair) + "' is not KEY=VALUE");
    }
    f(pair.substr(0, eq), pair.substr(eq + 1), pair);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
}

// A postgres:// or postgresql:// URI: the options annal knows are applied and removed; the rest
// of the URI, other query parameters included, is left for libpq.
store_uri parse_postgres_uri(std::string_view uri, const store_options& defaults) {
  store_uri parsed{"postgres", {}, defaults};
  auto question = uri.find('?');
  std::string kept;
  if (question != std::string_view::npos) {
    for_each_option(uri.substr(question + 1), [&](auto key, auto value, auto pair) {
      if (is_annal_option(key)) {
        apply_option(parsed.options, key, value);
      } else {
        kept += (kept.empty() ? "" : "&") + std::string(pair);
      }
    });
  }
  parsed.path = std::string(uri.substr(0, question)) + (kept.empty() ? "" : "?" + kept);
  return parsed;
}

// Splits "PATH?k=v&k=v" into the path and the options applied to `options`.
std::string_view parse_options(std::string_view rest, store_options& options) {
  auto question = rest.find('?');
  if (question == std::string_view::npos) return rest;
  for_each_option(rest.substr(question + 1),
                  [&](auto key, auto value, auto) { apply_option(options, key, value); });
  return rest.substr(0, question);
}

}  // namespace

store_uri parse_store_uri(std::string_view uri, const store_options& defaults) {
  if (uri.find('\0') != std::string_view::npos) {
    throw invalid_argument("store URI contains a NUL byte");
  }
  if (is_postgres_uri(uri)) {
    return parse_postgres_uri(uri, defaults);
  }
  auto colon = uri.find(':');
  if (colon == std::string_view::npos) {
    throw invalid_argument("store URI '" + std::string(uri) +
                           "' has no scheme; expected sqlite:PATH, segment:DIR or postgres://...");
  }
  store_uri parsed{std::string(uri.substr(0, colon)), {}, defaults};
  parsed.path = std::string(parse_options(uri.substr(colon + 1), parsed.options));
  if (parsed.scheme != "sqlite" && parsed.scheme != "segment") {
    throw invalid_argument("store URI '" + std::string(uri) + "' has unknown scheme '" +
                           parsed.scheme + "'; known schemes: sqlite, segment, postgres");
  }
  if (parsed.path.empty()) {
    throw invalid_argument("store URI '" + parsed.scheme + ":' needs a " +
                           (parsed.scheme == "segment" ? "directory" : "file path"));
  }
  return parsed;
}

bool is_postgres_uri(std::string_view uri) noexcept {
  return uri.starts_with("postgres://") || uri.starts_with("postgresql://");
}

}  // namespace annal::detail

namespace annal {

std::string redact_uri(std::string_view uri) {
  std::string out(uri);
  if (!detail::is_postgres_uri(uri)) return out;
  constexpr std::string_view hidden = "***";
  // The authority runs from "//" to the first '/', '?' or '#'; its userinfo ends at the last '@'.
  std::size_t start = out.find("//") + 2;
  std::size_t end = out.find_first_of("/?#", start);
  std::string_view authority = std::string_view(out).substr(start, end - start);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    if (auto colon = authority.substr(0, at).find(':'); colon != std::string_view::npos) {
      out.replace(start + colon + 1, at - colon - 1, hidden);
    }
  }
  // A password given as a query parameter: password=...&
  for (std::size_t at = out.find('?'); at != std::string::npos; at = out.find('&', at + 1)) {
    constexpr std::string_view key = "password=";
    if (std::string_view(out).substr(at + 1, key.size()) != key) continue;
    std::size_t value = at + 1 + key.size();
    std::size_t value_end = out.find_first_of("&#", value);
    out.replace(value, (value_end == std::string::npos ? out.size() : value_end) - value, hidden);
  }
  return out;
}

}  // namespace annal
