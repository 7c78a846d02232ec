// URI parsing and backend selection for open_store().
#include "annal/open_store.hpp"

#include "annal/error.hpp"
#include "sqlite/sqlite_store.hpp"

namespace annal {

std::unique_ptr<event_store> open_store(std::string_view uri, const store_options& options) {
  auto colon = uri.find(':');
  if (colon == std::string_view::npos) {
    throw invalid_argument("store URI '" + std::string(uri) +
                           "' has no scheme; expected sqlite:PATH");
  }
  std::string_view scheme = uri.substr(0, colon);
  std::string_view rest = uri.substr(colon + 1);
  if (rest.find('\0') != std::string_view::npos) {
    throw invalid_argument("store URI contains a NUL byte");
  }
  if (scheme == "sqlite") {
    if (rest.empty()) throw invalid_argument("store URI 'sqlite:' needs a file path");
    return std::make_unique<sqlite_store>(std::string(rest), options);
  }
  throw invalid_argument("store URI '" + std::string(uri) + "' has unknown scheme '" +
                         std::string(scheme) + "'; known schemes: sqlite");
}

}  // namespace annal
