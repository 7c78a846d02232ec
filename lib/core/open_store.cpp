// Backend selection for open_store().
#include "annal/open_store.hpp"

#include "annal/error.hpp"
#include "core/open_store_with_hooks.hpp"
#include "core/store_uri.hpp"
#include "io/file_system.hpp"
#include "postgres/postgres_store.hpp"
#include "segment/segment_store.hpp"
#include "sqlite/sqlite_store.hpp"

namespace annal {

std::unique_ptr<event_store> open_store(std::string_view uri, const store_options& options) {
  return detail::open_store_with_hooks(uri, options, {});
}

std::unique_ptr<event_store> detail::open_store_with_hooks(std::string_view uri,
                                                           const store_options& options,
                                                           store_hooks hooks) {
  detail::store_uri parsed = detail::parse_store_uri(uri, options);
  if (parsed.scheme == "postgres") {
    return std::make_unique<postgres_store>(std::move(parsed.path), parsed.options,
                                            std::move(hooks));
  }
  if (parsed.scheme == "sqlite") {
    return std::make_unique<sqlite_store>(std::move(parsed.path), parsed.options,
                                          std::move(hooks));
  }
  return std::make_unique<segment_store>(std::move(parsed.path), parsed.options,
                                         io::posix_file_system(), std::move(hooks));
}

}  // namespace annal
