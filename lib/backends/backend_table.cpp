// The backend table: one entry per store backend this build has, and the lookup by scheme.
#include "backends/backend_table.hpp"

#include <fmt/format.h>

#include <array>

#include "annal/build_config.hpp"
#include "annal/error.hpp"
#include "backends/store_location.hpp"

#if ANNAL_WITH_SQLITE
#include "sqlite/sqlite_read_model.hpp"
#include "sqlite/sqlite_store.hpp"
#include "verify/sqlite_verify.hpp"
#endif
#if ANNAL_WITH_SEGMENT
#include "io/file_system.hpp"
#include "segment/segment_store.hpp"
#include "verify/segment_verify.hpp"
#endif
#if ANNAL_WITH_POSTGRES
#include "postgres/postgres_read_model.hpp"
#include "postgres/postgres_store.hpp"
#include "postgres/schema.hpp"
#include "verify/postgres_verify.hpp"
#endif

namespace annal::detail {
namespace {

#if ANNAL_WITH_SQLITE
constexpr backend sqlite_backend{
    "sqlite",
    [](const store_uri& uri, store_hooks hooks) -> std::unique_ptr<event_store> {
      return std::make_unique<sqlite_store>(uri.path, uri.options, std::move(hooks));
    },
    [](const store_uri& uri, verify_report& report) {
      verify::verify_sqlite_store(uri.path, report);
    },
    [](const store_uri& uri) { require_store_path(uri, false); },
    projection_detail::open_sqlite_read_model,
};
#endif

#if ANNAL_WITH_SEGMENT
constexpr backend segment_backend{
    "segment",
    [](const store_uri& uri, store_hooks hooks) -> std::unique_ptr<event_store> {
      return std::make_unique<segment_store>(uri.path, uri.options, io::posix_file_system(),
                                             std::move(hooks));
    },
    [](const store_uri& uri, verify_report& report) {
      verify::verify_segment_store(uri.path, uri.options.segment_archive_dir,
                                   *io::posix_file_system(), report);
    },
    [](const store_uri& uri) { require_store_path(uri, true); },
    nullptr,
};
#endif

#if ANNAL_WITH_POSTGRES
constexpr backend postgres_backend{
    "postgres",
    [](const store_uri& uri, store_hooks hooks) -> std::unique_ptr<event_store> {
      return std::make_unique<postgres_store>(uri.path, uri.options, std::move(hooks));
    },
    [](const store_uri& uri, verify_report& report) {
      verify::verify_postgres_store(uri.path, uri.options.postgres_schema, report);
    },
    [](const store_uri& uri) {
      pg::validate_schema_name(uri.options.postgres_schema);
      pg::connection c(uri.path);
      pg::require_store_schema(c, uri.options.postgres_schema);
    },
    projection_detail::open_postgres_read_model,
};
#endif

constexpr auto table = std::to_array<backend>({
#if ANNAL_WITH_SQLITE
  sqlite_backend,
#endif
#if ANNAL_WITH_SEGMENT
      segment_backend,
#endif
#if ANNAL_WITH_POSTGRES
      postgres_backend,
#endif
});

const backend& backend_named(std::string_view scheme) {
  for (const backend& b : table) {
    if (b.scheme == scheme) return b;
  }
  throw_backend_not_built(scheme);
}

}  // namespace

void throw_backend_not_built(std::string_view scheme) {
  std::string built;
  for (const backend& b : table) built += (built.empty() ? "" : ", ") + std::string(b.scheme);
  throw invalid_argument(
      fmt::format("this annal was built without {} support (meson option -D{}=enabled); it has: {}",
                  scheme == "postgres" ? "PostgreSQL"
                  : scheme == "sqlite" ? "SQLite"
                                       : scheme,
                  scheme, built.empty() ? "no store backend" : built));
}

const backend& backend_of(const store_uri& uri) { return backend_named(uri.scheme); }

const backend& read_model_backend_of(const std::string& path) {
  return backend_named(is_postgres_uri(path) ? "postgres" : "sqlite");
}

std::span<const backend> built_backends() noexcept { return table; }

}  // namespace annal::detail
