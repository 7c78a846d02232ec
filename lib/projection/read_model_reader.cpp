// Read-only access to a read-model database.
#include "annal/read_model_reader.hpp"

#include "backends/read_model_database.hpp"
#include "projection/registry.hpp"

namespace annal {

struct read_model_reader::impl {
  std::unique_ptr<projection_detail::read_model_db> db;
};

read_model_reader::read_model_reader(std::string path)
    : impl_(std::make_unique<impl>(impl{projection_detail::open_database(path, true)})) {}

read_model_reader::~read_model_reader() = default;
read_model_reader::read_model_reader(read_model_reader&&) noexcept = default;
read_model_reader& read_model_reader::operator=(read_model_reader&&) noexcept = default;

std::size_t read_model_reader::query(std::string_view sql, sql_params params,
                                     const std::function<void(const sql_row&)>& on_row) {
  return impl_->db->bookkeeping().query(sql, params, on_row);
}

std::string read_model_reader::current_table(std::string_view projection, std::string_view base) {
  return projection_detail::current_table(*impl_->db, projection, base);
}

}  // namespace annal
