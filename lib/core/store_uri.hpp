// Splitting a store URI into its scheme, path and options (the syntax open_store() documents).
#pragma once

#include <string>
#include <string_view>

#include "annal/open_store.hpp"

namespace annal::detail {

/// A parsed store URI.
struct store_uri {
  /// "sqlite" or "segment": parse_store_uri() refuses other schemes.
  std::string scheme;
  /// The file or directory, never empty.
  std::string path;
  /// The options given, with the URI's own options applied over them.
  store_options options;
};

/// Parses "SCHEME:PATH[?KEY=VALUE&...]" as open_store() documents, starting from `options`.
/// Throws annal::invalid_argument for a malformed URI, an unknown scheme or option.
store_uri parse_store_uri(std::string_view uri, const store_options& options);

}  // namespace annal::detail
