// open_database(): the backend table's entry for the path opens the read-model database.
#include "backends/read_model_database.hpp"

#include "backends/backend_table.hpp"

namespace annal::projection_detail {

std::unique_ptr<read_model_db> open_database(const std::string& path, bool read_only) {
  return detail::read_model_backend_of(path).open_read_model_db(path, read_only);
}

}  // namespace annal::projection_detail
