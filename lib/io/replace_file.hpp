// replace_file(): the one way a whole small file is rewritten so that a crash leaves old or new.
#pragma once

#include <string>
#include <string_view>

#include "io/file_system.hpp"

namespace annal::io {

/// Writes `bytes` to `temporary` (emptied first when a failed write left it), syncs it and
/// renames it over `path`: after a crash `path` holds its old content or the new one, never a
/// mix. The caller syncs the directory when the rename must be durable at once. On failure the
/// temporary file is removed when possible and `path` is unchanged; throws annal::io_error.
void replace_file(file_system& fs, const std::string& path, const std::string& temporary,
                  std::string_view bytes);

}  // namespace annal::io
