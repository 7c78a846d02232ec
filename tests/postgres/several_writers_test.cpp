// Several processes on one PostgreSQL store: optimistic concurrency holds across them.
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>

#include "annal/error.hpp"
#include "support/process.hpp"
#include "support/store_fixture.hpp"

namespace annal {

TEST_CASE("processes racing with exact expected versions lose no update", "[postgres][occ]") {
  // The children are forked before this process opens a store: a store's threads (its
  // listener) must not be running at a fork, or a child can inherit a lock held by one of them.
  test::temp_dir dir;
  const std::string uri = test::backend_uri(dir);
  constexpr int children = 3;
  constexpr int appends_each = 60;
  std::vector<std::unique_ptr<test::process>> processes;
  for (int child = 0; child < children; ++child) {
    processes.push_back(std::make_unique<test::process>([&, child](test::process&) {
      auto store = open_store(uri);
      int conflicts = 0;
      for (int i = 0; i < appends_each;) {
        // A read-decide-append loop on counters shared by every process.
        std::string stream = "counter-" + std::to_string(i % 2);
        std::uint64_t version = store->stream_version(stream);
        event_data e = test::make_event("counter.incremented", child * 1000 + i);
        try {
          store->append(stream, expected_version::exact(version), e);
          ++i;
        } catch (const wrong_expected_version&) {
          ++conflicts;
        }
      }
      (void)conflicts;
    }));
  }
  for (auto& p : processes) CHECK(p->finish() == 0);

  auto store = open_store(uri);
  auto log = store->read_all(1, 100000).events;
  REQUIRE(log.size() == children * appends_each);
  std::map<std::string, std::uint64_t> last_version;
  std::set<std::string> payloads;
  for (std::size_t i = 0; i < log.size(); ++i) {
    CHECK(log[i].position == i + 1);
    // Each stream's versions follow one another: no two appends took the same version.
    CHECK(log[i].stream_version == ++last_version[log[i].stream_id]);
    payloads.insert(log[i].payload);
  }
  CHECK(payloads.size() == log.size());
  CHECK(store->stream_version("counter-0") + store->stream_version("counter-1") ==
        children * appends_each);
  store.reset();
  test::drop_postgres_schema(uri);
}

}  // namespace annal
