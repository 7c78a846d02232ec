// verify_store(): picks the backend's verifier from the URI.
#include "annal/verify.hpp"

#include "core/store_uri.hpp"
#include "io/file_system.hpp"
#include "verify/postgres_verify.hpp"
#include "verify/segment_verify.hpp"
#include "verify/sqlite_verify.hpp"

namespace annal {

verify_report verify_store(std::string_view uri) {
  detail::store_uri parsed = detail::parse_store_uri(uri, {});
  verify_report report;
  if (parsed.scheme == "postgres") {
    verify::verify_postgres_store(parsed.path, parsed.options.postgres_schema, report);
  } else if (parsed.scheme == "sqlite") {
    verify::verify_sqlite_store(parsed.path, report);
  } else {
    verify::verify_segment_store(parsed.path, *io::posix_file_system(), report);
  }
  return report;
}

}  // namespace annal
