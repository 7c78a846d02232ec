// Unique PostgreSQL schemas for tests.
#include "projection/postgres_schema.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <string>

#include "support/store_fixture.hpp"

namespace annal::test {

bool postgres_read_models_wanted() {
  const char* wanted = std::getenv("ANNAL_TEST_READ_MODEL");
  return wanted != nullptr && std::string(wanted) == "postgres";
}

postgres_schema::postgres_schema() : server_(postgres_server()) {
  static std::atomic<int> counter{0};
  std::random_device random;
  name_ = "annal_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter) + "_" +
          std::to_string(random() % 1000000);
  uri_ = server_ + (server_.find('?') == std::string::npos ? "?" : "&") + "schema=" + name_;
}

postgres_schema::~postgres_schema() { drop_postgres_schema(uri_); }

}  // namespace annal::test
