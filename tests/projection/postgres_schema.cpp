// Unique PostgreSQL schemas for tests.
#include "projection/postgres_schema.hpp"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <random>

#include "postgres/connection.hpp"

namespace annal::test {

std::string test_postgres_server() {
  const char* server = std::getenv("ANNAL_TEST_POSTGRES");
  if (server == nullptr || *server == '\0') {
    FAIL(
        "ANNAL_TEST_POSTGRES is not set: PostgreSQL tests need a server URI such as "
        "postgres://annal@127.0.0.1:5432/postgres (./run test starts a private server and sets "
        "it; by hand: tests/postgres/private_server.sh start DIR)");
  }
  return server;
}

bool postgres_read_models_wanted() {
  const char* wanted = std::getenv("ANNAL_TEST_READ_MODEL");
  return wanted != nullptr && std::string(wanted) == "postgres";
}

postgres_schema::postgres_schema() : server_(test_postgres_server()) {
  static std::atomic<int> counter{0};
  std::random_device random;
  name_ = "annal_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter) + "_" +
          std::to_string(random() % 1000000);
  uri_ = server_ + (server_.find('?') == std::string::npos ? "?" : "&") + "schema=" + name_;
}

postgres_schema::~postgres_schema() {
  try {
    pg::connection c(server_);
    c.exec("DROP SCHEMA IF EXISTS " + pg::quote_identifier(name_) + " CASCADE");
  } catch (const std::exception& e) {
    WARN("could not drop schema " << name_ << ": " << e.what());
  }
}

}  // namespace annal::test
