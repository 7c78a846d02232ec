// Parsing of store URIs (`scheme:path?key=value&...`), apart from opening, so it can be fuzzed.
#pragma once

#include <string>
#include <string_view>

#include "annal/open_store.hpp"

namespace annal::detail {

/// A store URI taken apart: the scheme, the path and the options with the URI's overrides
/// applied.
struct store_uri {
  std::string scheme;
  std::string path;
  store_options options;
};

/// Splits `uri` and applies its `?key=value` options over `defaults`. Checks the syntax, the
/// option names and values, that the scheme is sqlite, segment or postgres and that the path is
/// not empty. A `postgres://` or `postgresql://` URI gets the scheme "postgres" and keeps the
/// whole URI as its path, less the options annal knows (schema, poll_interval_ms,
/// max_payload_size, stuck_writer_timeout_ms): the other query parameters are libpq's. Throws
/// annal::invalid_argument naming what is wrong. Pure and thread-safe.
store_uri parse_store_uri(std::string_view uri, const store_options& defaults);

/// True when `uri` names a PostgreSQL database: it starts with `postgres://` or `postgresql://`.
bool is_postgres_uri(std::string_view uri) noexcept;

}  // namespace annal::detail
