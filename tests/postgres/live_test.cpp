// Live following on PostgreSQL: LISTEN/NOTIFY wakes waiters, polling covers a lost listener,
// and the listener reconnects.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "annal/error.hpp"
#include "core/store_uri.hpp"
#include "postgres/connection.hpp"
#include "core/open_store_with_hooks.hpp"
#include "postgres/schema.hpp"
#include "support/store_fixture.hpp"
#include "support/thread_state.hpp"

namespace annal {
namespace {

using namespace std::chrono_literals;

// Ends the listener connection of the store `uri` names, from the server side; returns how many
// connections it ended.
std::int64_t terminate_listeners(const std::string& uri) {
  auto parsed = detail::parse_store_uri(uri, {});
  pg::connection c(parsed.path);
  std::string name = "annal listener " + pg::notify_channel(parsed.options.postgres_schema);
  return c
      .query(
          "SELECT count(pg_terminate_backend(pid))::int8 FROM pg_stat_activity WHERE "
          "application_name = $1",
          {name})
      .int8(0, 0);
}

// Waits (up to 20 s) until `count` listeners of the store `uri` names are connected.
bool listeners_reach(const std::string& uri, std::int64_t count) {
  auto parsed = detail::parse_store_uri(uri, {});
  pg::connection c(parsed.path);
  std::string name = "annal listener " + pg::notify_channel(parsed.options.postgres_schema);
  for (int i = 0; i < 400; ++i) {
    if (c.query("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", {name})
            .int8(0, 0) == count) {
      return true;
    }
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// Starts a wait_for(position) on `follower`, then appends one event through `writer`: true when
// the waiter woke within 20 s. wait_for looks at the head itself only when it starts, so what
// wakes it afterwards is a notification or its poll.
bool wakes_on_append(event_store& follower, event_store& writer, std::uint64_t position) {
  REQUIRE(follower.head_position() == position - 1);
  // Appends once the waiter sleeps inside wait_for, after its own look at the head.
  auto waiter = test::run_until_blocked([&] { return follower.wait_for(position, 20s); });
  writer.append("s", expected_version::any(), test::make_event());
  return waiter.get();
}

std::string with_option(const std::string& uri, const std::string& option) {
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") + option;
}

}  // namespace

TEST_CASE("an append by another store object wakes wait_for through NOTIFY, not polling",
          "[postgres][live]") {
  test::store_fixture f;
  // Polling once a minute: only a notification can wake the waiter within the timeout.
  auto follower = open_store(with_option(f.uri(), "poll_interval_ms=60000"));
  auto writer = f.open_another();
  for (std::uint64_t position = 1; position <= 3; ++position) {
    CHECK(wakes_on_append(*follower, *writer, position));
  }
}

TEST_CASE("the listener reconnects after its connection is killed", "[postgres][live]") {
  test::store_fixture f;
  auto follower = open_store(with_option(f.uri(), "poll_interval_ms=60000"));
  auto writer = f.open_another();
  for (std::uint64_t round = 1; round <= 3; ++round) {
    // The fixture's, the follower's and the writer's listeners, back after each kill.
    REQUIRE(listeners_reach(f.uri(), 3));
    CHECK(terminate_listeners(f.uri()) == 3);
    REQUIRE(listeners_reach(f.uri(), 3));
    // With polling once a minute, only the reconnected listener can wake the waiter in time.
    CHECK(wakes_on_append(*follower, *writer, round));
  }
}

TEST_CASE("wait_for falls back to polling while the listener cannot reconnect",
          "[postgres][live]") {
  test::store_fixture f;
  std::atomic<bool> refuse_listener{false};
  detail::store_hooks hooks;
  hooks.before_listen = [&] {
    if (refuse_listener) throw std::runtime_error("listener refused by the test");
  };
  auto follower =
      detail::open_store_with_hooks(with_option(f.uri(), "poll_interval_ms=20"), {}, hooks);
  auto writer = f.open_another();
  refuse_listener = true;
  terminate_listeners(f.uri());
  for (std::uint64_t position = 1; position <= 3; ++position) {
    writer->append("s", expected_version::any(), test::make_event());
    CHECK(follower->wait_for(position, 10s));
  }
  refuse_listener = false;
  CHECK(follower->read_all(1, 10).events.size() == 3);
}

TEST_CASE("appends go on after the server ends the writer's connection", "[postgres][live]") {
  test::store_fixture f;
  f.store().append("s", expected_version::no_stream(), test::make_events(2));
  auto parsed = detail::parse_store_uri(f.uri(), {});
  {
    pg::connection admin(parsed.path);
    // Every connection of this store (they all name its schema in their queries).
    admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
        "AND query LIKE '%' || $1 || '%'",
        {parsed.options.postgres_schema});
  }
  auto r = f.store().append("s", expected_version::exact(2), test::make_event());
  CHECK(r.first_position == 3);
  CHECK(f.store().read_stream("s").size() == 3);
  CHECK(f.store().snapshots().count() == 0);
}

TEST_CASE("an unreachable server is a clear io_error", "[postgres][bad_input]") {
  try {
    open_store("postgres://annal@127.0.0.1:1/postgres?connect_timeout=2");
    FAIL("expected io_error");
  } catch (const io_error& e) {
    CHECK_THAT(e.what(),
               Catch::Matchers::Contains("cannot connect to PostgreSQL at 127.0.0.1:1/postgres"));
  }
}

}  // namespace annal
