// open_store() and open_store_with_hooks(): the URI parsed, then its backend's entry opens it.
#include "annal/open_store.hpp"

#include "backends/backend_table.hpp"
#include "backends/open_store_with_hooks.hpp"
#include "core/store_uri.hpp"

namespace annal {

std::unique_ptr<event_store> open_store(std::string_view uri, const store_options& options) {
  return detail::open_store_with_hooks(uri, options, {});
}

std::unique_ptr<event_store> detail::open_store_with_hooks(std::string_view uri,
                                                           const store_options& options,
                                                           store_hooks hooks) {
  detail::store_uri parsed = detail::parse_store_uri(uri, options);
  return detail::backend_of(parsed).open(parsed, std::move(hooks));
}

}  // namespace annal
