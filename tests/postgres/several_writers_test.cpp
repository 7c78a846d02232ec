// Several processes on one PostgreSQL store: optimistic concurrency holds across them, and what a
// killed one had sent still lands.
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "annal/error.hpp"
#include "core/store_uri.hpp"
#include "postgres/connection.hpp"
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

TEST_CASE("a writer killed after its COMMIT left still commits, settled once its session ends",
          "[postgres][crash]") {
  test::temp_dir dir;
  const std::string uri = test::backend_uri(dir);
  const std::string session = "annal-killed-in-commit";
  test::process child([&](test::process& parent) {
    auto store = open_store(test::with_session_name(uri, session));
    parent.hand_over();  // the schema exists
    parent.wait_turn();  // the parent holds the lock the COMMIT will wait for
    store->append("s", expected_version::no_stream(), test::make_event());
  });
  REQUIRE(child.wait_turn());

  // A deferred trigger makes the child's COMMIT wait for an advisory lock this test holds, so the
  // kill lands while the server is inside that COMMIT.
  auto parsed = detail::parse_store_uri(uri, {});
  std::string schema = pg::quote_identifier(parsed.options.postgres_schema);
  pg::connection admin(parsed.path);
  admin.exec("CREATE FUNCTION " + schema +
             ".wait_for_test() RETURNS trigger LANGUAGE plpgsql AS "
             "$$BEGIN PERFORM pg_advisory_xact_lock(20261130, 1); RETURN NULL; END$$; "
             "CREATE CONSTRAINT TRIGGER wait_for_test AFTER INSERT ON " +
             schema + ".events DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION " +
             schema + ".wait_for_test()");
  admin.exec("SELECT pg_advisory_lock(20261130, 1)");
  child.hand_over();
  auto committing = [&] {
    return admin
               .query(
                   "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND "
                   "wait_event_type = 'Lock' AND query = 'COMMIT'",
                   {session})
               .int8(0, 0) == 1;
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!committing() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(committing());
  child.kill();
  child.wait();

  auto store = open_store(uri);
  CHECK(store->head_position() == 0);  // the dead writer's COMMIT has not finished
  admin.exec("SELECT pg_advisory_unlock(20261130, 1)");
  test::wait_for_sessions_to_end(uri, session);
  CHECK(store->head_position() == 1);  // it has now, with no client left to tell
  CHECK(store->stream_version("s") == 1);
  store.reset();
  test::drop_postgres_schema(uri);
}

}  // namespace annal
