// A read-model database made before annal kept the store identity and the event id with each
// checkpoint: the runner adds the columns, keeps the builds and their tables, and records both
// from the next batch on.
#include <catch2/catch.hpp>

#include "annal/build_config.hpp"
#include "projection/projection_fixture.hpp"
#if ANNAL_WITH_POSTGRES
#include "postgres/connection.hpp"
#endif
#include "support/raw_sqlite.hpp"

using namespace annal;
using namespace std::chrono_literals;
using annal::test::projection_fixture;

namespace {

// Makes the registry of `f`'s read model as an older annal made it: without the origin columns.
void drop_origin_columns(projection_fixture& f) {
  for (std::string column : {"store_id", "checkpoint_event"}) {
    std::string drop = "ALTER TABLE annal_projection_builds DROP COLUMN " + column;
    if (f.schema) {
#if ANNAL_WITH_POSTGRES
      pg::connection admin(f.schema->server());
      admin.exec("SET search_path TO " + pg::quote_identifier(f.schema->name()));
      admin.exec(drop);
#endif
    } else {
      REQUIRE(test::raw_exec(f.model, drop) == 0);
    }
  }
}

// The current build's checkpoint, and the store identity and event id recorded with it.
struct recorded {
  std::int64_t checkpoint = -1;
  std::string store_id;
  std::string event_id;
};

recorded recorded_checkpoint(const std::string& model) {
  recorded out;
  read_model_reader(model).query(
      "SELECT checkpoint, store_id, checkpoint_event FROM annal_projection_builds WHERE name = "
      "'ledger' AND is_current = 1",
      {}, [&](const sql_row& row) {
        out = {row.integer(0), row.text(1), row.text(2)};
      });
  return out;
}

}  // namespace

TEST_CASE("a read model made before checkpoints kept their origin is migrated and resumed",
          "[origin]") {
  projection_fixture f;
  f.deposit(40);
  {
    projection_runner runner(f.store(), f.model);
    runner.add(test::ledger_projection());
    runner.start();
    REQUIRE(runner.wait_until("ledger", 40, 30s));
  }
  drop_origin_columns(f);
  f.deposit(20, 10, 41);

  projection_runner runner(f.store(), f.model);
  runner.add(test::ledger_projection());
  runner.start();
  REQUIRE(runner.wait_until("ledger", 60, 30s));
  CHECK(runner.status("ledger").error.empty());
  // Resumed, not rebuilt: the same build, every event applied once.
  CHECK(read_model_reader(f.model).current_table("ledger", "balances") == "balances__v1_1");
  test::check_applied_once(f.model, 60);
  auto now = recorded_checkpoint(f.model);
  CHECK(now.checkpoint == 60);
  CHECK(now.store_id == f.store().store_id().to_string());
  CHECK(now.event_id == f.store().read_all(60, 1).events.at(0).id.to_string());
}
