// Conformance: snapshot + tail loading equals the full fold, on every backend, and snapshots of
// another schema or damaged ones are never used.
#include <catch2/catch.hpp>
#include <filesystem>
#include <random>

#include "annal/repository.hpp"
#include "support/store_fixture.hpp"

namespace ledger {

struct opened {
  static constexpr std::string_view type = "ledger.opened";
  std::string owner;
};
struct credited {
  static constexpr std::string_view type = "ledger.credited";
  long long amount;
  std::string memo;
};
struct debited {
  static constexpr std::string_view type = "ledger.debited";
  long long amount;
};
using event = std::variant<opened, credited, debited>;

struct account {
  std::string owner;
  long long balance = 0;
  std::vector<std::string> memos;
  int entries = 0;
  friend bool operator==(const account&, const account&) = default;
};
account apply(account a, const opened& e) {
  a.owner = e.owner;
  return a;
}
account apply(account a, const credited& e) {
  a.balance += e.amount;
  a.memos.push_back(e.memo);
  ++a.entries;
  return a;
}
account apply(account a, const debited& e) {
  a.balance -= e.amount;
  ++a.entries;
  return a;
}

// The same aggregate after a schema change: a field was added.
struct account_v2 {
  std::string owner;
  long long balance = 0;
  std::vector<std::string> memos;
  int entries = 0;
  long long overdraft_limit = 0;
};
account_v2 apply(account_v2 a, const opened& e) {
  a.owner = e.owner;
  return a;
}
account_v2 apply(account_v2 a, const credited& e) {
  a.balance += e.amount;
  ++a.entries;
  a.memos.push_back(e.memo);
  return a;
}
account_v2 apply(account_v2 a, const debited& e) {
  a.balance -= e.amount;
  ++a.entries;
  return a;
}

event random_event(std::mt19937& random) {
  switch (random() % 3) {
    case 0:
      return credited{static_cast<long long>(random() % 1000), std::to_string(random())};
    case 1:
      return debited{static_cast<long long>(random() % 500)};
    default:
      return opened{"owner-" + std::to_string(random() % 7)};
  }
}

}  // namespace ledger

using namespace annal;
using annal::test::store_fixture;
using ledgers = repository<ledger::account, ledger::event>;

namespace {

repository_options quiet(repository_options options, std::vector<std::string>* warnings = nullptr) {
  options.on_warning = [warnings](const std::string& w) {
    if (warnings != nullptr) warnings->push_back(w);
  };
  return options;
}

}  // namespace

TEST_CASE("snapshot + tail equals the full fold, and so does time travel, for random histories",
          "[snapshots]") {
  std::mt19937 random(20261125);
  for (int round = 0; round < 60; ++round) {
    store_fixture f;
    repository_options options;
    options.snapshot_every = 1 + random() % 15;
    options.snapshots_kept = 1 + random() % 3;
    options.snapshot_format = random() % 2 == 0 ? snapshot_encoding::json : snapshot_encoding::cbor;
    options.page_size = 1 + random() % 40;
    ledgers with(f.store(), "ledger", quiet(options));
    ledgers without(f.store(), "ledger", quiet({}));
    CAPTURE(round, options.snapshot_every, options.snapshots_kept, options.page_size);

    std::vector<ledger::event> history;
    std::size_t total = 1 + random() % 120;
    while (history.size() < total) {
      std::vector<ledger::event> chunk;
      std::size_t size = 1 + random() % 5;
      for (std::size_t i = 0; i < size; ++i) chunk.push_back(ledger::random_event(random));
      with.update("a", [&](const ledger::account&) { return chunk; });
      history.insert(history.end(), chunk.begin(), chunk.end());
      // Another stream between, so the aggregate's positions have gaps.
      if (random() % 2 == 0) {
        with.update("b", [&](const ledger::account&) { return chunk; });
      }
    }
    auto expected = fold(ledger::account{}, history);
    auto loaded = with.load("a");
    REQUIRE(loaded.version == history.size());
    REQUIRE(loaded.state == expected);
    REQUIRE(without.load("a").state == expected);
    if (history.size() >= options.snapshot_every) REQUIRE(with.stats().loaded > 0);

    auto recorded = f.store().read_stream("ledger-a");
    for (int probe = 0; probe < 5; ++probe) {
      std::uint64_t v = random() % (history.size() + 2);
      auto prefix = std::vector<ledger::event>(
          history.begin(), history.begin() + static_cast<std::ptrdiff_t>(
                                                 std::min<std::uint64_t>(v, history.size())));
      auto at_version = with.load_at_version("a", v);
      REQUIRE(at_version.state == fold(ledger::account{}, prefix));
      REQUIRE(at_version.version == prefix.size());

      std::uint64_t p = recorded[random() % recorded.size()].position + random() % 3;
      std::vector<ledger::event> seen;
      for (std::size_t i = 0; i < recorded.size() && recorded[i].position <= p; ++i) {
        seen.push_back(history[i]);
      }
      auto at_position = with.load_at_position("a", p);
      auto used = f.store().snapshots().load("ledger-a", schema_fingerprint<ledger::account>(),
                                             std::numeric_limits<std::uint64_t>::max(), p);
      CAPTURE(p, seen.size(), at_position.version, used.found ? used.found->version : 0,
              used.found ? used.found->position : 0);
      REQUIRE(at_position.state == fold(ledger::account{}, seen));
      REQUIRE(at_position.version == seen.size());
    }
  }
}

TEST_CASE("a snapshot of another schema is ignored and counted, never decoded", "[snapshots]") {
  store_fixture f;
  repository_options options;
  options.snapshot_every = 2;
  ledgers old_code(f.store(), "ledger", quiet(options));
  for (int i = 0; i < 10; ++i) {
    old_code.update("a", [&](const ledger::account&) {
      return std::vector<ledger::event>{ledger::credited{i, "m"}};
    });
  }
  REQUIRE(old_code.stats().written > 0);
  CHECK(schema_fingerprint<ledger::account>() != schema_fingerprint<ledger::account_v2>());

  repository<ledger::account_v2, ledger::event> new_code(f.store(), "ledger", quiet(options));
  auto loaded = new_code.load("a");
  CHECK(loaded.version == 10);
  CHECK(loaded.state.balance == 45);
  CHECK(loaded.state.entries == 10);
  CHECK(new_code.stats().loaded == 0);
  CHECK(new_code.stats().ignored_fingerprint >= 1);
}

TEST_CASE("a snapshot that cannot be decoded is ignored with a warning", "[snapshots]") {
  store_fixture f;
  std::vector<std::string> warnings;
  repository_options options;
  options.snapshot_every = 1000;
  ledgers repo(f.store(), "ledger", quiet(options, &warnings));
  repo.update("a", [](const ledger::account&) {
    return std::vector<ledger::event>{ledger::opened{"ada"}, ledger::credited{5, "x"}};
  });
  snapshot bad;
  bad.stream_id = "ledger-a";
  bad.version = 2;
  bad.position = 2;
  bad.aggregate_type = "ledger";
  bad.fingerprint = schema_fingerprint<ledger::account>();
  bad.payload = GENERATE(std::string("{not json"), std::string(R"({"owner":7})"));
  f.store().snapshots().save(bad, 1);

  auto loaded = repo.load("a");
  CHECK(loaded.state.owner == "ada");
  CHECK(loaded.state.balance == 5);
  CHECK(repo.stats().ignored_corrupt == 1);
  CHECK(repo.stats().loaded == 0);
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::Contains("ledger-a"));
}

TEST_CASE("a slow load takes a snapshot that the next load starts from", "[snapshots]") {
  store_fixture f;
  repository_options options;
  options.snapshot_after_slow_load = std::chrono::microseconds(1);
  ledgers repo(f.store(), "ledger", quiet(options));
  std::vector<ledger::event> events;
  for (int i = 0; i < 200; ++i) events.push_back(ledger::credited{1, "m"});
  repo.save("a", 0, events);
  CHECK(repo.load("a").state.balance == 200);
  CHECK(repo.stats().written == 1);
  CHECK(repo.load("a").state.balance == 200);
  CHECK(repo.stats().loaded == 1);
}

TEST_CASE("retention keeps the newest snapshots, and drop_snapshots removes a type's",
          "[snapshots]") {
  store_fixture f;
  repository_options options;
  options.snapshot_every = 3;
  options.snapshots_kept = 2;
  ledgers repo(f.store(), "ledger", quiet(options));
  ledgers others(f.store(), "other", quiet(options));
  for (int i = 0; i < 30; ++i) {
    repo.update(
        "a", [](const ledger::account&) { return std::vector<ledger::event>{ledger::debited{1}}; });
  }
  others.update("z", [](const ledger::account&) {
    return std::vector<ledger::event>(3, ledger::debited{1});
  });
  CHECK(repo.stats().written == 10);
  CHECK(f.store().snapshots().count() == 3);
  // The newest is at version 30; the one before it, 27, is still there; 24 is gone.
  auto fp = schema_fingerprint<ledger::account>();
  CHECK(f.store().snapshots().load("ledger-a", fp).found->version == 30);
  CHECK(f.store().snapshots().load("ledger-a", fp, 29).found->version == 27);
  CHECK_FALSE(f.store().snapshots().load("ledger-a", fp, 26).found);

  CHECK(repo.drop_snapshots() == 2);
  CHECK(f.store().snapshots().count() == 1);
  auto loads_from_snapshots = repo.stats().loaded;
  CHECK(repo.load("a").state.balance == -30);
  CHECK(repo.stats().loaded == loads_from_snapshots);  // nothing left to start from
}

TEST_CASE("snapshots survive reopening the store", "[snapshots]") {
  store_fixture f;
  repository_options options;
  options.snapshot_every = 4;
  {
    ledgers repo(f.store(), "ledger", quiet(options));
    for (int i = 0; i < 9; ++i) {
      repo.update("a", [](const ledger::account&) {
        return std::vector<ledger::event>{ledger::credited{2, "m"}};
      });
    }
  }
  ledgers repo(f.reopen(), "ledger", quiet(options));
  auto loaded = repo.load("a");
  CHECK(loaded.state.balance == 18);
  CHECK(repo.stats().loaded == 1);
}
