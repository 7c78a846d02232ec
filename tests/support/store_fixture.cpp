// The backend under test, opened in a temporary directory.
#include "support/store_fixture.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <thread>

#include "annal/build_config.hpp"
#include "backends/open_store_with_hooks.hpp"
#include "core/store_uri.hpp"
#if ANNAL_WITH_POSTGRES
#include "postgres/connection.hpp"
#endif

namespace annal::test {

namespace {

std::string environment(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

std::string backend_under_test() { return environment("ANNAL_TEST_BACKEND", "sqlite"); }

std::string postgres_server() {
  std::string server = environment("ANNAL_TEST_POSTGRES", "");
  if (server.empty()) {
    throw std::runtime_error(
        "ANNAL_TEST_POSTGRES is not set: point it at a PostgreSQL server "
        "(postgres://USER@HOST:PORT/DB) or run the tests with ./run test, which starts one");
  }
  return server;
}

void drop_postgres_schema(const std::string& uri) {
#if ANNAL_WITH_POSTGRES
  auto parsed = detail::parse_store_uri(uri, {});
  try {
    pg::connection c(parsed.path);
    c.exec("DROP SCHEMA IF EXISTS " + pg::quote_identifier(parsed.options.postgres_schema) +
           " CASCADE");
  } catch (const std::exception&) {
    // Best effort: a schema left behind on a test server costs nothing but space.
  }
#else
  (void)uri;  // without PostgreSQL there is no schema to drop
#endif
}

std::string with_session_name(const std::string& uri, const std::string& name) {
  if (!detail::is_postgres_uri(uri)) return uri;
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") + "application_name=" + name;
}

void wait_for_sessions_to_end(const std::string& uri, const std::string& name) {
  if (!detail::is_postgres_uri(uri)) return;
#if ANNAL_WITH_POSTGRES
  pg::connection c(detail::parse_store_uri(uri, {}).path);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (c.query("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", {name})
             .int8(0, 0) > 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("sessions named '" + name + "' are still open after 60 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
#else
  (void)name;
#endif
}

std::string backend_uri(const temp_dir& dir) {
  std::string backend = backend_under_test();
  std::string options = environment("ANNAL_TEST_URI_OPTIONS", "");
  if (backend == "postgres") {
    // A schema of its own per directory, so tests run side by side on one server.
    std::string server = postgres_server();
    return fmt::format(
        "{}{}schema=t_{:016x}{}", server, server.find('?') == std::string::npos ? "?" : "&",
        std::hash<std::string>{}(dir.path().string()), options.empty() ? "" : "&" + options);
  }
  std::string path = backend == "sqlite" ? dir.file("store.db") : dir.file("store");
  return backend + ":" + path + (options.empty() ? "" : "?" + options);
}

store_fixture::store_fixture(detail::store_hooks hooks)
    : hooks_(std::move(hooks)),
      uri_(backend_uri(dir_)),
      store_(detail::open_store_with_hooks(uri_, {}, hooks_)) {}

store_fixture::~store_fixture() {
  store_.reset();
  if (backend_under_test() == "postgres") drop_postgres_schema(uri_);
}

event_store& store_fixture::reopen() {
  store_->close();
  store_.reset();
  store_ = detail::open_store_with_hooks(uri_, {}, hooks_);
  return *store_;
}

std::unique_ptr<event_store> store_fixture::open_another(detail::store_hooks hooks) const {
  return detail::open_store_with_hooks(uri_, {}, std::move(hooks));
}

event_data make_event(std::string type, int n) {
  event_data e;
  e.type = std::move(type);
  e.payload = "{\"n\":" + std::to_string(n) + "}";
  return e;
}

event_data stored_event(std::string type, std::uint32_t type_version, std::string payload) {
  event_data e;
  e.type = std::move(type);
  e.type_version = type_version;
  e.payload = std::move(payload);
  return e;
}

std::vector<event_data> make_padded_events(std::size_t count) {
  auto events = make_events(count);
  for (auto& e : events) e.payload = R"({"pad":")" + std::string(120, 'p') + R"("})";
  return events;
}

std::vector<event_data> make_events(std::size_t count, std::string type) {
  std::vector<event_data> events;
  for (std::size_t i = 0; i < count; ++i) events.push_back(make_event(type, static_cast<int>(i)));
  return events;
}

}  // namespace annal::test
