// Backend selection for open_store().
#include "annal/open_store.hpp"

#include "annal/error.hpp"
#include "core/store_uri.hpp"
#include "io/file_system.hpp"
#include "postgres/postgres_store.hpp"
#include "segment/segment_store.hpp"
#include "sqlite/sqlite_store.hpp"

namespace annal {

std::unique_ptr<event_store> open_store(std::string_view uri, const store_options& options) {
  detail::store_uri parsed = detail::parse_store_uri(uri, options);
  if (parsed.scheme == "postgres") {
    return std::make_unique<postgres_store>(std::move(parsed.path), parsed.options);
  }
  if (parsed.scheme == "sqlite") {
    return std::make_unique<sqlite_store>(std::move(parsed.path), parsed.options);
  }
  return std::make_unique<segment_store>(std::move(parsed.path), parsed.options,
                                         io::posix_file_system());
}

}  // namespace annal
