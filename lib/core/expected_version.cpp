// Text form of expected versions, used in error messages.
#include "annal/expected_version.hpp"

#include <fmt/format.h>

namespace annal {

std::string expected_version::to_string() const {
  switch (kind_) {
    case kind::any:
      return "any";
    case kind::no_stream:
      return "no_stream";
    case kind::stream_exists:
      return "stream_exists";
    case kind::exact:
      return fmt::format("exact({})", version_);
  }
  return "unknown";
}

}  // namespace annal
