// Opening a store by URI: the one entry point that knows every backend.
#pragma once

#include <chrono>
#include <memory>
#include <string_view>

#include "annal/event_store.hpp"

namespace annal {

/// Settings that apply to every backend.
struct store_options {
  /// How often wait_for() looks for appends made by other processes. Appends through the same
  /// store object wake waiters at once regardless.
  std::chrono::milliseconds poll_interval{50};
  /// Page cache of the SQLite backend, in MiB per connection.
  int sqlite_cache_mib = 64;
};

/// Opens (creating when missing) the store a URI names:
/// - `sqlite:PATH`: the embedded SQLite backend in the file PATH (relative or absolute).
///
/// Throws annal::invalid_argument for a malformed URI or an unknown scheme,
/// annal::unsupported_format_version for a store written by a newer annal,
/// annal::corruption for a file that is not an annal store, annal::io_error when the file
/// cannot be opened or created. The returned store is thread-safe.
std::unique_ptr<event_store> open_store(std::string_view uri, const store_options& options = {});

}  // namespace annal
