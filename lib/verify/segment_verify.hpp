// Verifying a segment store's directory: frames, checksums, index sidecars, versions and ids.
#pragma once

#include <string>

#include "annal/verify.hpp"
#include "io/file_system.hpp"

namespace annal::verify {

/// Checks the segment store in `dir` as verify_store() documents, adding what it finds to
/// `report`. Throws annal::io_error when the directory is missing, unreadable or locked.
void verify_segment_store(const std::string& dir, io::file_system& fs, verify_report& report);

}  // namespace annal::verify
