// verify_store(): the URI parsed, then its backend's entry verifies the store.
#include "annal/verify.hpp"

#include "backends/backend_table.hpp"
#include "core/store_uri.hpp"

namespace annal {

verify_report verify_store(std::string_view uri) {
  detail::store_uri parsed = detail::parse_store_uri(uri, {});
  verify_report report;
  detail::backend_of(parsed).verify(parsed, report);
  return report;
}

}  // namespace annal
