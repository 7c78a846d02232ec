// Read-only access to a read-model database.
#include "annal/read_model_reader.hpp"

#include "projection/sql_session.hpp"

namespace annal {

struct read_model_reader::impl {
  sqlite::connection connection;
  projection_detail::sql_session session;

  explicit impl(std::string path)
      : connection(std::move(path), SQLITE_OPEN_READONLY), session(connection, {}) {}
};

read_model_reader::read_model_reader(std::string path)
    : impl_(std::make_unique<impl>(std::move(path))) {}

read_model_reader::~read_model_reader() = default;
read_model_reader::read_model_reader(read_model_reader&&) noexcept = default;
read_model_reader& read_model_reader::operator=(read_model_reader&&) noexcept = default;

std::size_t read_model_reader::query(std::string_view sql, sql_params params,
                                     const std::function<void(const sql_row&)>& on_row) {
  return impl_->session.query(sql, params, on_row);
}

std::string read_model_reader::current_table(std::string_view projection, std::string_view base) {
  std::string out;
  impl_->session.query(
      "SELECT t.physical FROM annal_projection_tables t JOIN annal_projection_builds b "
      "ON b.name = t.name AND b.build = t.build WHERE t.name = ?1 AND t.base = ?2 AND "
      "b.is_current = 1",
      {projection, base}, [&](const sql_row& row) { out = row.text(0); });
  return out;
}

}  // namespace annal
