// A PostgreSQL schema of a test's own on the server the tests are given, dropped at the end.
#pragma once

#include <string>

namespace annal::test {

/// True when the projection tests should keep their read models in PostgreSQL
/// (ANNAL_TEST_READ_MODEL=postgres) rather than in a SQLite file.
bool postgres_read_models_wanted();

/// A schema with a unique name on the test server (postgres_server(), which throws, failing the
/// test, when ANNAL_TEST_POSTGRES is unset), dropped with everything in it when this object
/// goes. Not copyable.
class postgres_schema {
 public:
  postgres_schema();
  ~postgres_schema();
  postgres_schema(const postgres_schema&) = delete;
  postgres_schema& operator=(const postgres_schema&) = delete;

  const std::string& name() const noexcept { return name_; }
  const std::string& server() const noexcept { return server_; }
  /// The server URI with `schema=NAME`: a read_model_path (or a postgres store URI).
  const std::string& uri() const noexcept { return uri_; }

 private:
  std::string server_;
  std::string name_;
  std::string uri_;
};

}  // namespace annal::test
