// Verifying a PostgreSQL store: schema version, triggers, positions, versions, streams, head.
#pragma once

#include <string>

#include "annal/verify.hpp"

namespace annal::verify {

/// Checks the PostgreSQL store in `schema` of the server `conninfo` names, as verify_store()
/// documents, adding what it finds to `report`. Reads only. Throws annal::io_error when the
/// server cannot be reached, annal::corruption when the schema holds no annal store.
void verify_postgres_store(const std::string& conninfo, const std::string& schema,
                           verify_report& report);

}  // namespace annal::verify
