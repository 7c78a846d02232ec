// Parsing of store URIs: the scheme, the path and the `?key=value` options.
#include "core/store_uri.hpp"

#include <algorithm>
#include <charconv>
#include <utility>
#include <vector>

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
  } else if (key == "retention_age_s") {
    // At most a century, so that now minus the age cannot overflow.
    constexpr std::uint64_t century_s = 100ull * 366 * 24 * 60 * 60;
    std::uint64_t seconds = parse_number(key, value);
    if (seconds > century_s) {
      throw invalid_argument("store URI option retention_age_s is over a century (" +
                             std::to_string(century_s) + " s)");
    }
    options.segment_retention_age =
        std::chrono::seconds(static_cast<std::chrono::seconds::rep>(seconds));
  } else if (key == "retention_bytes") {
    options.segment_retention_bytes = parse_number(key, value);
  } else if (key == "archive_dir") {
    if (value.empty()) throw invalid_argument("store URI option archive_dir needs a directory");
    options.segment_archive_dir = std::string(value);
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
namespace {

// Where the passwords of `uri` are: [begin, end) of the one in a postgres:// authority and of
// each `password=` query value, in order.
std::vector<std::pair<std::size_t, std::size_t>> password_spans(std::string_view uri) {
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  if (!detail::is_postgres_uri(uri)) return spans;
  // The authority runs from "//" to the first '/', '?' or '#'; its userinfo ends at the last '@'.
  std::size_t start = uri.find("//") + 2;
  std::size_t end = std::min(uri.find_first_of("/?#", start), uri.size());
  std::string_view authority = uri.substr(start, end - start);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    if (auto colon = authority.substr(0, at).find(':'); colon != std::string_view::npos) {
      spans.emplace_back(start + colon + 1, start + at);
    }
  }
  // A password given as a query parameter: password=...&
  for (std::size_t at = uri.find('?'); at != std::string_view::npos; at = uri.find('&', at + 1)) {
    constexpr std::string_view key = "password=";
    if (uri.substr(at + 1, key.size()) != key) continue;
    std::size_t value = at + 1 + key.size();
    spans.emplace_back(value, std::min(uri.find_first_of("&#", value), uri.size()));
  }
  return spans;
}

// `text` with every occurrence of `secret` replaced by `hidden`.
void replace_all(std::string& text, std::string_view secret, std::string_view hidden) {
  if (secret.empty()) return;
  for (std::size_t at = text.find(secret); at != std::string::npos;
       at = text.find(secret, at + hidden.size())) {
    text.replace(at, secret.size(), hidden);
  }
}

// The value of a hexadecimal digit, or -1.
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `text` with its %XX escapes decoded; malformed escapes are kept as they are.
std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

constexpr std::string_view hidden = "***";

}  // namespace

std::string redact_uri(std::string_view uri) {
  std::string out(uri);
  auto spans = password_spans(uri);
  // From the last to the first, so the earlier offsets stay valid.
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
    out.replace(it->first, it->second - it->first, hidden);
  }
  return out;
}

std::string redact_passwords(std::string_view text, std::string_view uri) {
  std::string out(text);
  for (auto [begin, end] : password_spans(uri)) {
    std::string_view password = uri.substr(begin, end - begin);
    replace_all(out, password, hidden);
    replace_all(out, percent_decoded(password), hidden);
  }
  return out;
}

}  // namespace annal
