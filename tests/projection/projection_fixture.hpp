// Shared pieces of the projection tests: sample events, a store with a read model beside it.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "annal/annal.hpp"
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

/// A store of the backend under test and a read-model database file beside it.
struct projection_fixture {
  store_fixture stores;
  temp_dir dir;
  std::string model = dir.file("model.db");

  event_store& store() { return stores.store(); }
  /// Appends `count` deposits of 1..count cents (the n-th deposit is n cents), round-robin over
  /// `streams` streams "acct-0", "acct-1", ..., one event per append.
  void deposit(std::size_t count, std::size_t streams = 10, std::size_t first = 1);
};

/// A read-model projection of deposits: `balances` holds one row per stream (upsert), `entries`
/// one row per event with its position. Version `version`; balances are multiplied by
/// `multiplier`, so two versions can be told apart.
projection ledger_projection(int version = 1, long long multiplier = 1,
                             std::string name = "ledger");

/// What a read model holds: the rows of `entries` and the sum of their positions, the sum of the
/// balances, and the stored checkpoint of the current build.
struct model_totals {
  std::int64_t entries = 0;
  std::int64_t position_sum = 0;
  std::int64_t balance_sum = 0;
  std::int64_t checkpoint = 0;
};
model_totals read_totals(const std::string& model, const std::string& projection = "ledger");

/// Sum of 1..n.
inline std::int64_t triangle(std::int64_t n) { return n * (n + 1) / 2; }

}  // namespace annal::test
