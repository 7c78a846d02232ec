// The ANNAL_TEST_STOP_AFTER_BATCHES hook of import and migrate.
#include "stop_point.hpp"

#include <csignal>
#include <cstdlib>
#include <string>

#include "annal/error.hpp"
#include "whole_number.hpp"

namespace annal::cli {

stop_point::stop_point() {
  const char* text = std::getenv("ANNAL_TEST_STOP_AFTER_BATCHES");
  if (text == nullptr) return;
  auto value = parse_whole_number(text);
  if (!value || *value == 0) {
    throw invalid_argument("ANNAL_TEST_STOP_AFTER_BATCHES must be a whole number of at least 1, "
                           "not '" + std::string(text) + "'");
  }
  stop_after_ = *value;
}

void stop_point::batch_stored() {
  if (++stored_ == stop_after_) std::raise(SIGSTOP);
}

}  // namespace annal::cli
