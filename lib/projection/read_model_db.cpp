// What every read-model database shares: `{base}` substitution, table lookup, opening by path.
#include "projection/read_model_db.hpp"

#include <fmt/format.h>

#include "annal/error.hpp"
#include "annal_build_config.hpp"
#include "backends/backend_table.hpp"
#include "core/store_uri.hpp"
#if ANNAL_WITH_POSTGRES
#include "projection/postgres_read_model.hpp"
#endif
#if ANNAL_WITH_SQLITE
#include "projection/sqlite_read_model.hpp"
#endif

namespace annal::projection_detail {

std::string substitute_tables(std::string_view sql, const table_map& tables) {
  std::string out;
  out.reserve(sql.size() + 16);
  std::size_t i = 0;
  while (i < sql.size()) {
    if (sql[i] == '{') {
      std::size_t close = sql.find('}', i + 1);
      if (close != std::string_view::npos) {
        auto found = tables.find(sql.substr(i + 1, close - i - 1));
        if (found != tables.end()) {
          out += found->second;
          i = close + 1;
          continue;
        }
      }
    }
    out += sql[i++];
  }
  return out;
}

const std::string& model_session::table(std::string_view base) const {
  auto found = tables_.find(base);
  if (found == tables_.end()) {
    throw invalid_argument(fmt::format("'{}' is not a table of this projection", base));
  }
  return found->second;
}

model_session& read_model_db::bookkeeping() {
  if (!bookkeeping_) bookkeeping_ = session({});
  return *bookkeeping_;
}

std::unique_ptr<read_model_db> open_database(const std::string& path, bool read_only) {
  if (detail::is_postgres_uri(path)) {
#if ANNAL_WITH_POSTGRES
    return open_postgres_read_model(path, read_only);
#else
    detail::throw_backend_not_built("postgres");
#endif
  }
#if ANNAL_WITH_SQLITE
  return open_sqlite_read_model(path, read_only);
#else
  detail::throw_backend_not_built("sqlite");
#endif
}

}  // namespace annal::projection_detail
