// Checking that a file or directory named by a store URI is a store there, without creating one.
#pragma once

#include "core/store_uri.hpp"

namespace annal::detail {

/// Throws annal::io_error unless `uri.path` is a directory (`directory`) or a regular file:
/// ENOENT when nothing is there, ENOTDIR or EISDIR naming what is there instead. Creates nothing.
void require_store_path(const store_uri& uri, bool directory);

}  // namespace annal::detail
