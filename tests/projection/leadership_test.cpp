// PostgreSQL read models: leaders per schema, and a leader that loses its server session.
#include <catch2/catch.hpp>

#include "postgres/connection.hpp"
#include "projection/projection_fixture.hpp"

using namespace annal;
using namespace std::chrono_literals;
using annal::test::postgres_schema;
using annal::test::projection_fixture;
using annal::test::triangle;

namespace {

// Ends the server session holding the leader lock of `projection` in `schema`, as a network
// failure or a server restart would; returns the number of sessions ended.
std::int64_t end_leader_session(const postgres_schema& schema, const std::string& projection) {
  pg::connection admin(schema.server());
  std::string key = "annal.projection:" + schema.name() + ":" + projection;
  auto r = admin.query(
      "SELECT count(pg_terminate_backend(l.pid))::bigint FROM pg_locks l, "
      "(SELECT hashtextextended($1::text, 0) AS k) h WHERE l.locktype = 'advisory' AND "
      "l.granted AND l.objsubid = 1 AND l.classid::bigint = ((h.k >> 32) & 4294967295) AND "
      "l.objid::bigint = (h.k & 4294967295)",
      {pg::param(key)});
  return r.int8(0, 0);
}

}  // namespace

TEST_CASE("PostgreSQL: runners of different projections or schemas do not wait for each other",
          "[postgres][leadership]") {
  projection_fixture f;
  postgres_schema one;
  postgres_schema two;
  f.deposit(20);
  projection_runner a(f.store(), one.uri(), test::quick_retries());
  projection_runner b(f.store(), two.uri(), test::quick_retries());
  a.add(test::ledger_projection());
  projection other;
  other.name = "other";
  other.handler = sink_handler{[](const recorded_event&) {}};
  a.add(std::move(other));
  b.add(test::ledger_projection());
  a.start();
  b.start();
  CHECK(a.wait_until("ledger", 20, 30s));
  CHECK(a.wait_until("other", 20, 30s));
  CHECK(b.wait_until("ledger", 20, 30s));
}

TEST_CASE("PostgreSQL: a leader that loses its connection stops writing, then leads again",
          "[postgres][leadership]") {
  projection_fixture f;
  postgres_schema schema;
  f.deposit(50);
  projection_runner runner(f.store(), schema.uri(), test::quick_retries());
  runner.add(test::ledger_projection());
  runner.start();
  REQUIRE(runner.wait_until("ledger", 50, 30s));
  REQUIRE(end_leader_session(schema, "ledger") == 1);
  f.deposit(50, 10, 51);
  REQUIRE(runner.wait_until("ledger", 100, 30s));
  auto s = runner.status("ledger");
  CHECK(s.state == projection_state::live);
  CHECK(s.error.find("connection") != std::string::npos);
  test::check_applied_once(schema.uri(), 100);
  CHECK(end_leader_session(schema, "ledger") == 1);  // the lead was taken again
}

TEST_CASE("PostgreSQL: rebuilds and dead letters work in the read model", "[postgres][rebuild]") {
  projection_fixture f;
  postgres_schema schema;
  f.deposit(60);
  {
    projection_runner runner(f.store(), schema.uri(), test::quick_retries());
    runner.add(test::ledger_projection(1, 1));
    runner.start();
    REQUIRE(runner.wait_until("ledger", 60, 30s));
  }
  projection_runner runner(f.store(), schema.uri(), test::quick_retries());
  runner.add(test::ledger_projection(2, 10));
  projection failing = test::ledger_projection(1, 1, "picky");
  failing.tables = {"picky_balances"};
  failing.create_tables = [](read_model_transaction& tx) {
    tx.execute("CREATE TABLE {picky_balances}(account TEXT PRIMARY KEY, owner TEXT, cents BIGINT)");
  };
  failing.handler = read_model_handler{[](const recorded_event& r, read_model_transaction& tx) {
    if (r.position % 20 == 0) throw std::runtime_error("no multiples of 20");
    tx.execute("INSERT INTO {picky_balances}(account, cents) VALUES ($1, $2)",
               {std::to_string(r.position), r.position});
  }};
  failing.on_error = error_policy::skip_and_record();
  runner.add(std::move(failing));
  runner.start();
  REQUIRE(runner.wait_until("ledger", 60, 30s));
  REQUIRE(runner.wait_until("picky", 60, 30s));
  read_model_reader reader(schema.uri());
  CHECK(reader.current_table("ledger", "balances") == "balances__v2_2");
  CHECK(reader.query("SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND "
                     "table_name = 'balances__v1_1'",
                     {schema.name()}, [](const sql_row&) {}) == 0);
  auto sum = [&] {
    std::int64_t cents = 0;
    reader.query("SELECT sum(cents) FROM balances", {},
                 [&](const sql_row& row) { cents = row.integer(0); });
    return cents;
  };
  CHECK(sum() == 10 * triangle(60));
  auto letters = runner.dead_letters("picky");
  REQUIRE(letters.size() == 3);
  CHECK(letters[0].position == 20);
  CHECK(letters[2].error == "no multiples of 20");
  CHECK(runner.status("picky").dead_letters == 3);
  runner.rebuild("ledger");
  f.deposit(10, 10, 61);
  REQUIRE(runner.wait_until("ledger", 70, 30s));
  CHECK(reader.current_table("ledger", "balances") == "balances__v2_3");
  CHECK(sum() == 10 * triangle(70));
}
