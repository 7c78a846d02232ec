// What every read-model database shares: `{base}` substitution, table lookup, bookkeeping.
#include "core/read_model_db.hpp"

#include <fmt/format.h>

#include "annal/error.hpp"

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

}  // namespace annal::projection_detail
