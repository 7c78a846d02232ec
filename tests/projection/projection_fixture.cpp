// Shared pieces of the projection tests.
#include "projection/projection_fixture.hpp"

#include <catch2/catch.hpp>

#include "projection/gate.hpp"

namespace annal::test {

void projection_fixture::deposit(std::size_t count, std::size_t streams, std::size_t first) {
  test::deposit(store(), count, streams, first);
}

void deposit(event_store& store, std::size_t count, std::size_t streams, std::size_t first) {
  using codec = event_codec<ledger::event>;
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t n = first + i;
    store.append("acct-" + std::to_string(n % streams), expected_version::any(),
                 codec::encode(ledger::deposited{static_cast<long long>(n)}));
  }
}

projection ledger_projection(int version, long long multiplier, std::string name) {
  struct handler {
    long long multiplier;
    void operator()(const ledger::opened& e, const recorded_event& r,
                    read_model_transaction& tx) const {
      tx.execute(
          "INSERT INTO {balances}(account, owner, cents) VALUES ($1, $2, 0) "
          "ON CONFLICT(account) DO UPDATE SET owner = excluded.owner",
          {r.stream_id, e.owner});
    }
    void operator()(const ledger::deposited& e, const recorded_event& r,
                    read_model_transaction& tx) const {
      tx.execute(
          "INSERT INTO {balances}(account, owner, cents) VALUES ($1, '', $2) "
          "ON CONFLICT(account) DO UPDATE SET cents = {balances}.cents + excluded.cents",
          {r.stream_id, e.cents * multiplier});
      tx.execute("INSERT INTO {entries}(position, account, cents) VALUES ($1, $2, $3)",
                 {r.position, r.stream_id, e.cents});
    }
  };
  return sqlite_projection<ledger::event>(
      std::move(name), version, {"balances", "entries"},
      [](read_model_transaction& tx) {
        tx.execute("CREATE TABLE {balances}(account TEXT PRIMARY KEY, owner TEXT, cents INTEGER)");
        tx.execute(
            "CREATE TABLE {entries}(position INTEGER PRIMARY KEY, account TEXT, cents INTEGER)");
      },
      handler{multiplier});
}

runner_options quick_retries(std::size_t batch_size) {
  runner_options o;
  o.batch_size = batch_size;
  o.leader_retry = std::chrono::milliseconds(100);
  o.recovery_backoff = std::chrono::milliseconds(20);
  o.max_recovery_backoff = std::chrono::milliseconds(200);
  return o;
}

projection with_hooks(projection p, event_hook before, event_hook after) {
  p.handler = read_model_preparer{
      [inner = std::get<read_model_preparer>(p.handler).prepare, before = std::move(before),
       after = std::move(after)](const recorded_event& r) -> read_model_step {
        return [step = inner(r), &r, before, after](read_model_transaction& tx) {
          if (before) before(r, tx);
          step(tx);
          if (after) after(r, tx);
        };
      }};
  return p;
}

projection gated(projection p, std::shared_ptr<gate> g, std::uint64_t position,
                 std::string suffix) {
  return with_hooks(
      std::move(p),
      [g, position, suffix](const recorded_event& r, read_model_transaction& tx) {
        if (r.position == position && tx.table("balances").ends_with(suffix)) g->pass();
      },
      nullptr);
}

projection_status in_handler(std::function<void(read_model_transaction&)> body,
                             const std::string& model, event_store& store) {
  store.append("s", expected_version::any(), make_event("test.happened"));
  projection p;
  p.name = "kv";
  p.tables = {"kv"};
  p.create_tables = [](read_model_transaction& tx) {
    tx.execute("CREATE TABLE {kv}(k TEXT PRIMARY KEY, i INTEGER, r REAL, t TEXT)");
  };
  p.handler = read_model_handler{
      [body = std::move(body)](const recorded_event&, read_model_transaction& tx) { body(tx); }};
  projection_runner runner(store, model);
  runner.add(std::move(p));
  runner.start();
  runner.wait_until("kv", store.head_position(), std::chrono::seconds(30));
  return runner.status("kv");
}

model_totals read_totals(const std::string& model, const std::string& projection) {
  read_model_reader reader(model);
  model_totals t;
  reader.query("SELECT count(*), coalesce(sum(position), 0) FROM entries", {},
               [&](const sql_row& row) {
                 t.entries = row.integer(0);
                 t.position_sum = row.integer(1);
               });
  reader.query("SELECT coalesce(sum(cents), 0) FROM balances", {},
               [&](const sql_row& row) { t.balance_sum = row.integer(0); });
  reader.query("SELECT checkpoint FROM annal_projection_builds WHERE name = $1 AND is_current = 1",
               {projection}, [&](const sql_row& row) { t.checkpoint = row.integer(0); });
  return t;
}

void check_applied_once(const std::string& model, std::int64_t events) {
  auto t = read_totals(model);
  CHECK(t.entries == events);
  CHECK(t.position_sum == triangle(events));
  CHECK(t.balance_sum == triangle(events));
  CHECK(t.checkpoint == events);
}

}  // namespace annal::test
