// The backend under test, opened in a temporary directory.
#include "support/store_fixture.hpp"

#include <cstdlib>

namespace annal::test {

namespace {

std::string environment(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

std::string backend_under_test() { return environment("ANNAL_TEST_BACKEND", "sqlite"); }

std::string backend_uri(const temp_dir& dir) {
  std::string backend = backend_under_test();
  std::string options = environment("ANNAL_TEST_URI_OPTIONS", "");
  std::string path = backend == "sqlite" ? dir.file("store.db") : dir.file("store");
  return backend + ":" + path + (options.empty() ? "" : "?" + options);
}

store_fixture::store_fixture() : uri_(backend_uri(dir_)), store_(open_store(uri_)) {}

event_store& store_fixture::reopen() {
  store_->close();
  store_.reset();
  store_ = open_store(uri_);
  return *store_;
}

std::unique_ptr<event_store> store_fixture::open_another() const { return open_store(uri_); }

event_data make_event(std::string type, int n) {
  event_data e;
  e.type = std::move(type);
  e.payload = "{\"n\":" + std::to_string(n) + "}";
  return e;
}

std::vector<event_data> make_events(std::size_t count, std::string type) {
  std::vector<event_data> events;
  for (std::size_t i = 0; i < count; ++i) events.push_back(make_event(type, static_cast<int>(i)));
  return events;
}

}  // namespace annal::test
