// The one table of store backends: what each URI scheme opens, checks and verifies.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "annal/event_store.hpp"
#include "annal/verify.hpp"
#include "core/read_model_db.hpp"
#include "core/store_hooks.hpp"
#include "core/store_uri.hpp"

namespace annal::detail {

/// One store backend as the rest of annal reaches it. Adding a backend is adding an entry here
/// (backend_table.cpp); nothing else dispatches on a URI scheme.
struct backend {
  /// The URI scheme: "sqlite", "segment" or "postgres".
  std::string_view scheme;
  /// Opens (creating when missing) the store `uri` names, with `hooks` in its append path.
  std::unique_ptr<event_store> (*open)(const store_uri& uri, store_hooks hooks);
  /// Checks the store as verify_store() documents, adding what it finds to `report`.
  void (*verify)(const store_uri& uri, verify_report& report);
  /// Throws annal::io_error (ENOENT, EISDIR, ENOTDIR) when there is no store of this backend
  /// where `uri` points, saying what is there instead; creates nothing. For tools that must
  /// not create a store by mistyping its name.
  void (*require_existing)(const store_uri& uri);
  /// Opens the read-model database at `path` (creating what is missing unless `read_only`);
  /// null for a backend that holds no read models (segment).
  std::unique_ptr<projection_detail::read_model_db> (*open_read_model_db)(const std::string& path,
                                                                          bool read_only);
};

/// The backend of `uri`'s scheme. Throws annal::invalid_argument naming the meson option when
/// this build of annal left that backend out.
const backend& backend_of(const store_uri& uri);

/// Throws annal::invalid_argument saying that this build of annal left out the backend of
/// `scheme`, naming the meson option that adds it and the backends it has.
[[noreturn]] void throw_backend_not_built(std::string_view scheme);

/// The backend that holds the read models at `path`: a `postgres://` URI names PostgreSQL, any
/// other path a SQLite file. Throws as backend_of() does.
const backend& read_model_backend_of(const std::string& path);

/// The backends this build has.
std::span<const backend> built_backends() noexcept;

}  // namespace annal::detail
