// Recording verify problems into a report, listing at most max_listed_problems of them.
#pragma once

#include <cstdint>
#include <string>

#include "annal/verify.hpp"

namespace annal::verify {

/// Adds a problem to `report`, or counts it as unlisted once the list is full.
inline void add_problem(verify_report& report, std::string file, std::int64_t offset,
                        std::uint64_t position, std::string stream_id, std::string message) {
  if (report.problems.size() < max_listed_problems) {
    report.problems.push_back(
        {std::move(file), offset, position, std::move(stream_id), std::move(message)});
  } else {
    ++report.unlisted_problems;
  }
}

}  // namespace annal::verify
