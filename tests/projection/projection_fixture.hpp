// Shared pieces of the projection tests: sample events, a store with a read model beside it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "annal/annal.hpp"
#include "projection/postgres_schema.hpp"
#include "support/store_fixture.hpp"

namespace ledger {

struct opened {
  static constexpr std::string_view type = "ledger.opened";
  std::string owner;
};
struct deposited {
  static constexpr std::string_view type = "ledger.deposited";
  long long cents;
};
using event = std::variant<opened, deposited>;

}  // namespace ledger

namespace annal::test {

/// A store of the backend under test and a read-model database beside it: a SQLite file, or a
/// PostgreSQL schema of its own when postgres_read_models_wanted().
struct projection_fixture {
  store_fixture stores;
  temp_dir dir;
  std::unique_ptr<postgres_schema> schema =
      postgres_read_models_wanted() ? std::make_unique<postgres_schema>() : nullptr;
  std::string model = schema ? schema->uri() : dir.file("model.db");

  event_store& store() { return stores.store(); }
  /// deposit() into store().
  void deposit(std::size_t count, std::size_t streams = 10, std::size_t first = 1);
};

/// Appends `count` deposits to `store`, numbered from `first`: deposit n is n cents, to stream
/// "acct-<n % streams>", one event per append.
void deposit(event_store& store, std::size_t count, std::size_t streams = 10,
             std::size_t first = 1);

/// A read-model projection of deposits: `balances` holds one row per stream (upsert), `entries`
/// one row per event with its position. Version `version`; balances are multiplied by
/// `multiplier`, so two versions can be told apart. Its SQL runs on SQLite and PostgreSQL.
projection ledger_projection(int version = 1, long long multiplier = 1,
                             std::string name = "ledger");

/// Runner options for tests of leadership and recovery: pages of `batch_size`, a standby tries to
/// lead every 100 ms, and recovery pauses 20 ms doubling up to 200 ms.
runner_options quick_retries(std::size_t batch_size = 16);

/// Something a test runs beside a read-model projection's work on one event.
using event_hook = std::function<void(const recorded_event&, read_model_transaction&)>;
/// `p` (a read model made by sqlite_projection) with `before` and `after` run around the work of
/// each event; either may be empty.
projection with_hooks(projection p, event_hook before, event_hook after);

class gate;
/// `p` (a read model made by sqlite_projection) made to wait at `g` before the event at
/// `position` in builds whose balances table ends with `suffix` (e.g. "_2" for build 2).
projection gated(projection p, std::shared_ptr<gate> g, std::uint64_t position, std::string suffix);

/// Appends one event and runs `body` inside the handler of a one-event read-model projection
/// "kv" with a table `kv(k TEXT PRIMARY KEY, i INTEGER, r REAL, t TEXT)` in `model`; returns the
/// projection's status afterwards.
projection_status in_handler(std::function<void(read_model_transaction&)> body,
                             const std::string& model, event_store& store);

/// What a read model holds: the rows of `entries` and the sum of their positions, the sum of the
/// balances, and the stored checkpoint of the current build.
struct model_totals {
  std::int64_t entries = 0;
  std::int64_t position_sum = 0;
  std::int64_t balance_sum = 0;
  std::int64_t checkpoint = 0;
};
model_totals read_totals(const std::string& model, const std::string& projection = "ledger");

/// Checks (Catch2 CHECKs) that the ledger read model in `model` applied positions 1..events each
/// exactly once and that its checkpoint is `events`.
void check_applied_once(const std::string& model, std::int64_t events);

/// Polls `condition` every 10 ms for up to 30 s; says whether it became true.
template <class Condition>
bool eventually(Condition condition) {
  for (int i = 0; i < 3000; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

/// Sum of 1..n.
inline std::int64_t triangle(std::int64_t n) { return n * (n + 1) / 2; }

}  // namespace annal::test
