// A read model kept while its store is restored from an older backup (written to since or not),
// or run against another store: the runner finds out, says so in status, and never serves the
// wrong tables as live.
#include <catch2/catch.hpp>
#include <memory>

#include "annal/store_admin.hpp"
#include "projection/gate.hpp"
#include "projection/projection_fixture.hpp"
#include "projection/swappable_store.hpp"

using namespace annal;
using namespace std::chrono_literals;
using annal::test::gate;
using annal::test::projection_fixture;
using annal::test::read_totals;

namespace {

// Copies the first `count` events of `from` into the empty store `to`: the same events at the
// same positions, as `annal import` writes them.
void copy_log(event_store& from, event_store& to, std::uint64_t count) {
  auto taken = from.read_all(1, count);
  for (const auto& e : taken.events) append_recorded(to, std::span(&e, 1));
}

// A read model built from a store of 61 events, and a restore of that store from a backup taken
// at 51 events: the same store identity and the same events at the same positions, in another
// store of the backend.
struct restored_from_backup {
  projection_fixture f;
  test::store_fixture backup;

  restored_from_backup() {
    f.deposit(51);
    adopt_store_id(backup.store(), f.store().store_id());
    copy_log(f.store(), backup.store(), 51);
    f.deposit(10, 10, 52);
    projection_runner runner(f.store(), f.model);
    runner.add(test::ledger_projection());
    runner.start();
    REQUIRE(runner.wait_until("ledger", 61, 30s));
  }
  const std::string& model() const { return f.model; }
  event_store& restored() { return backup.store(); }
};

runner_options with_policy(origin_policy policy) {
  runner_options o;
  o.batch_size = 16;
  o.on_origin_mismatch = policy;
  return o;
}

}  // namespace

TEST_CASE("a read model ahead of a store restored from an older backup is rebuilt, not served",
          "[origin]") {
  restored_from_backup r;
  auto held = std::make_shared<gate>();
  projection_runner runner(r.restored(), r.model(), with_policy(origin_policy::rebuild));
  runner.add(test::gated(test::ledger_projection(), held, 1, "_2"));
  runner.start();
  REQUIRE(held->wait_arrival(30s));
  // The new build holds at its first event: the wrong tables are gone already.
  auto s = runner.status("ledger");
  CHECK(s.state == projection_state::catching_up);
  CHECK_FALSE(serves_live(s));
  CHECK(s.serving_lag == 51);
  CHECK_THAT(s.error, Catch::Contains("checkpoint 61 is ahead of the store's head 51") &&
                          Catch::Contains("rebuilding it from position 1"));
  read_model_reader reader(r.model());
  CHECK(reader.current_table("ledger", "balances") == "balances__v1_2");
  CHECK(read_totals(r.model()).entries == 0);
  held->release();

  REQUIRE(runner.wait_until("ledger", 51, 30s));
  CHECK(serves_live(runner.status("ledger")));
  test::check_applied_once(r.model(), 51);
  // New events of the restored store are listed.
  test::deposit(r.restored(), 5, 10, 52);
  REQUIRE(runner.wait_until("ledger", 56, 30s));
  test::check_applied_once(r.model(), 56);
}

TEST_CASE("a read model of a restored store that was written to since is rebuilt", "[origin]") {
  restored_from_backup r;
  // Written to after the restore: positions 52 to 70 hold other events than the lost 52 to 61.
  test::deposit(r.restored(), 19, 10, 52);
  projection_runner runner(r.restored(), r.model(), with_policy(origin_policy::rebuild));
  runner.add(test::ledger_projection());
  runner.start();
  REQUIRE(test::eventually([&] {
    auto s = runner.status("ledger");
    return s.state == projection_state::live && s.checkpoint == 70;
  }));
  CHECK_THAT(runner.status("ledger").error, Catch::Contains("event at its checkpoint 61 has id") &&
                                                Catch::Contains("but the read model recorded"));
  test::check_applied_once(r.model(), 70);
}

TEST_CASE("a read model of another store is rebuilt, even when that store holds the same events",
          "[origin]") {
  restored_from_backup r;
  // An imported copy of the whole log is a new store, with an identity of its own.
  test::store_fixture imported;
  copy_log(r.f.store(), imported.store(), 61);
  projection_runner runner(imported.store(), r.model(), with_policy(origin_policy::rebuild));
  runner.add(test::ledger_projection());
  runner.start();
  REQUIRE(test::eventually([&] {
    auto s = runner.status("ledger");
    return s.state == projection_state::live && s.error.find("another store") != std::string::npos;
  }));
  CHECK_THAT(runner.status("ledger").error,
             Catch::Contains("built from store " + r.f.store().store_id().to_string()) &&
                 Catch::Contains("but this store is " + imported.store().store_id().to_string()));
  REQUIRE(runner.wait_until("ledger", 61, 30s));
  test::check_applied_once(r.model(), 61);
  CHECK(read_model_reader(r.model()).current_table("ledger", "balances") == "balances__v1_2");
}

TEST_CASE("under origin_policy::stop a read model of another log fails and keeps its tables",
          "[origin]") {
  restored_from_backup r;
  projection_runner runner(r.restored(), r.model(), with_policy(origin_policy::stop));
  runner.add(test::ledger_projection());
  runner.start();
  CHECK_FALSE(runner.wait_until("ledger", 51, 30s));
  auto s = runner.status("ledger");
  CHECK(s.state == projection_state::failed);
  CHECK_FALSE(serves_live(s));
  CHECK(s.failed_position == 0);
  CHECK_THAT(s.error, Catch::Contains("checkpoint 61 is ahead of the store's head 51") &&
                          Catch::Contains("origin_policy::stop"));
  CHECK(read_totals(r.model()).entries == 61);
  // Starting again checks again.
  runner.start("ledger");
  CHECK_FALSE(runner.wait_until("ledger", 51, 30s));
  CHECK(runner.status("ledger").state == projection_state::failed);

  // A rebuild replaces the tables at once, and the projection runs again.
  runner.rebuild("ledger");
  CHECK(read_totals(r.model()).entries == 0);
  runner.start("ledger");
  REQUIRE(runner.wait_until("ledger", 51, 30s));
  test::check_applied_once(r.model(), 51);
}

TEST_CASE("a store restored under a running runner is noticed without a restart", "[origin]") {
  restored_from_backup r;
  test::swappable_store store(r.f.store());
  projection_runner runner(store, r.model(), with_policy(origin_policy::rebuild));
  runner.add(test::ledger_projection());
  runner.start();
  REQUIRE(runner.wait_until("ledger", 61, 30s));
  store.swap_to(r.restored());
  REQUIRE(test::eventually([&] {
    auto s = runner.status("ledger");
    return s.state == projection_state::live && s.checkpoint == 51 && !s.error.empty();
  }));
  CHECK_THAT(runner.status("ledger").error, Catch::Contains("ahead of the store's head 51"));
  test::check_applied_once(r.model(), 51);
}
