// Deploy checks of the order service's events against a store: what it reads, and what it cannot.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace order_service {

/// The (type, version) pairs the service reads, "TYPE VERSION" or "TYPE *" a line: the input of
/// `annal types STORE --expect FILE`.
std::vector<std::string> readable_event_types();

/// Checks every (type, version) stored in `store_uri` against the service's event variants and
/// upcasters, decoding the first and last event of each (every event with `every_event`); prints
/// one line per type to `out`. Returns 0 when the service reads them all, 1 otherwise. Throws
/// annal errors when the store cannot be opened or read.
int check_store(const std::string& store_uri, bool every_event, std::FILE* out);

}  // namespace order_service
