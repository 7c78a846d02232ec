// A read-model database made before annal kept the event id with each checkpoint: the runner adds
// the column, keeps the builds and their tables, and records the id from the next batch on.
#include <catch2/catch.hpp>

#include "postgres/connection.hpp"
#include "projection/projection_fixture.hpp"
#include "support/raw_sqlite.hpp"

using namespace annal;
using namespace std::chrono_literals;
using annal::test::projection_fixture;

namespace {

// Makes the registry of `f`'s read model as an older annal made it: without checkpoint_event.
void drop_checkpoint_event_column(projection_fixture& f) {
  const std::string drop = "ALTER TABLE annal_projection_builds DROP COLUMN checkpoint_event";
  if (f.schema) {
    pg::connection admin(f.schema->server());
    admin.exec("SET search_path TO " + pg::quote_identifier(f.schema->name()));
    admin.exec(drop);
  } else {
    REQUIRE(test::raw_exec(f.model, drop) == 0);
  }
}

// The current build's checkpoint and the event id recorded with it.
std::pair<std::int64_t, std::string> recorded_checkpoint(const std::string& model) {
  std::pair<std::int64_t, std::string> out{-1, ""};
  read_model_reader(model).query(
      "SELECT checkpoint, checkpoint_event FROM annal_projection_builds WHERE name = 'ledger' "
      "AND is_current = 1",
      {}, [&](const sql_row& row) {
        out = {row.integer(0), row.text(1)};
      });
  return out;
}

}  // namespace

TEST_CASE("a read model made before checkpoints kept their event is migrated and resumed",
          "[origin]") {
  projection_fixture f;
  f.deposit(40);
  {
    projection_runner runner(f.store(), f.model);
    runner.add(test::ledger_projection());
    runner.start();
    REQUIRE(runner.wait_until("ledger", 40, 30s));
  }
  drop_checkpoint_event_column(f);
  f.deposit(20, 10, 41);

  projection_runner runner(f.store(), f.model);
  runner.add(test::ledger_projection());
  runner.start();
  REQUIRE(runner.wait_until("ledger", 60, 30s));
  CHECK(runner.status("ledger").error.empty());
  // Resumed, not rebuilt: the same build, every event applied once.
  CHECK(read_model_reader(f.model).current_table("ledger", "balances") == "balances__v1_1");
  test::check_applied_once(f.model, 60);
  auto [checkpoint, event_id] = recorded_checkpoint(f.model);
  CHECK(checkpoint == 60);
  CHECK(event_id == f.store().read_all(60, 1).events.at(0).id.to_string());
}
