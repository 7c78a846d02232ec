// Verifying a segment store's directory: frames, checksums, index sidecars, versions and ids.
#pragma once

#include <string>

#include "annal/verify.hpp"
#include "io/file_system.hpp"

namespace annal::verify {

/// Checks the segment store in `dir`, with the segments retention archived in `archive_dir`
/// (empty: none), as verify_store() documents, adding what it finds to `report`. Throws
/// annal::io_error when the directory is missing, unreadable or locked.
void verify_segment_store(const std::string& dir, const std::string& archive_dir,
                          io::file_system& fs, verify_report& report);

}  // namespace annal::verify
