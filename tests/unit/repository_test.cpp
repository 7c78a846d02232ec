// Tests of aggregates folded from events and of the repository's load, save and update.
#include "annal/repository.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "support/store_fixture.hpp"

namespace bank {

struct opened {
  static constexpr std::string_view type = "account.opened";
  std::string owner;
};
struct deposited {
  static constexpr std::string_view type = "account.deposited";
  long long amount;
};
struct withdrawn {
  static constexpr std::string_view type = "account.withdrawn";
  long long amount;
};
using event = std::variant<opened, deposited, withdrawn>;

struct account {
  std::string owner;
  long long balance = 0;
  int changes = 0;
};
account apply(account a, const opened& e) {
  a.owner = e.owner;
  return a;
}
account apply(account a, const deposited& e) {
  a.balance += e.amount;
  ++a.changes;
  return a;
}
account apply(account a, const withdrawn& e) {
  a.balance -= e.amount;
  ++a.changes;
  return a;
}

struct insufficient_funds : std::runtime_error {
  insufficient_funds() : std::runtime_error("insufficient funds") {}
};

std::vector<event> withdraw(const account& a, long long amount) {
  if (a.balance < amount) throw insufficient_funds();
  return {withdrawn{amount}};
}

// A state with a member reducer instead of free functions.
struct counter {
  int count = 0;
  void apply(const deposited&) { ++count; }
  void apply(const withdrawn&) { --count; }
};
using counter_event = std::variant<deposited, withdrawn>;

// An earlier release opened an account with a first deposit in one event.
struct opened_with_deposit {
  static constexpr std::string_view type = "account.opened_with_deposit";
  std::string owner;
  long long amount;
};
std::vector<event> split_opening(const opened_with_deposit& e) {
  return {opened{e.owner}, deposited{e.amount}};
}

}  // namespace bank

template <>
struct annal::upcasters_of<bank::event>
    : annal::upcasters<annal::upcast<&bank::split_opening>,
                       annal::rename<"account.credited", "account.deposited">> {};

using namespace annal;
using annal::test::store_fixture;
using accounts = repository<bank::account, bank::event>;

namespace {

repository_options retries_and_page(unsigned max_retries, std::size_t page_size) {
  repository_options options;
  options.max_retries = max_retries;
  options.page_size = page_size;
  return options;
}

}  // namespace

TEST_CASE("evolve and fold apply free and member reducers in order", "[aggregate]") {
  std::vector<bank::event> events{bank::opened{"ada"}, bank::deposited{10}, bank::withdrawn{3}};
  auto a = fold(bank::account{}, events);
  CHECK(a.owner == "ada");
  CHECK(a.balance == 7);
  std::vector<bank::counter_event> ups{bank::deposited{1}, bank::deposited{1}, bank::withdrawn{1}};
  CHECK(fold(bank::counter{}, ups).count == 1);
}

TEST_CASE("a saved aggregate loads as the fold of its events", "[repository]") {
  store_fixture f;
  accounts repo(f.store(), "account");
  auto r = repo.save("1", 0, {bank::opened{"ada"}, bank::deposited{100}});
  CHECK(r.next_expected_version == 2);
  repo.save("1", 2, {bank::withdrawn{30}});
  auto loaded = repo.load("1");
  CHECK(loaded.version == 3);
  CHECK(loaded.state.owner == "ada");
  CHECK(loaded.state.balance == 70);
  CHECK(f.store().read_stream("account-1").size() == 3);
  CHECK(f.store().read_stream("account-1")[0].type == "account.opened");
}

TEST_CASE("loading reads a long stream page by page", "[repository]") {
  store_fixture f;
  accounts repo(f.store(), "account", retries_and_page(5, 7));
  std::vector<bank::event> events(51);
  events[0] = bank::opened{"bob"};
  for (int i = 0; i < 50; ++i) events[i + 1] = bank::deposited{i};
  repo.save("big", 0, events);
  auto loaded = repo.load("big");
  CHECK(loaded.version == 51);
  CHECK(loaded.state.balance == 49 * 50 / 2);
  CHECK(loaded.state.changes == 50);
}

TEST_CASE("an aggregate with no events loads as the initial state at version 0", "[repository]") {
  store_fixture f;
  accounts repo(f.store(), "account");
  auto loaded = repo.load("nobody");
  CHECK(loaded.version == 0);
  CHECK(loaded.state.balance == 0);
  CHECK_THROWS_AS(repo.get("nobody"), stream_not_found);
  CHECK_THROWS_WITH(repo.get("nobody"), Catch::Contains("'account-nobody'"));
}

TEST_CASE("save with a stale version throws wrong_expected_version", "[repository]") {
  store_fixture f;
  accounts repo(f.store(), "account");
  repo.save("1", 0, {bank::opened{"ada"}});
  CHECK_THROWS_AS(repo.save("1", 0, {bank::deposited{1}}), wrong_expected_version);
  CHECK(repo.load("1").version == 1);
}

TEST_CASE("update runs decide on the current state and saves its events", "[repository]") {
  store_fixture f;
  accounts repo(f.store(), "account");
  repo.save("1", 0, {bank::opened{"ada"}, bank::deposited{50}});
  auto result = repo.update("1", [](const bank::account& a) { return bank::withdraw(a, 20); });
  CHECK(result.attempts == 1);
  CHECK(result.after.version == 3);
  CHECK(result.after.state.balance == 30);
  REQUIRE(result.events.size() == 1);
  CHECK(std::get<bank::withdrawn>(result.events[0]).amount == 20);
  CHECK(repo.load("1").state.balance == 30);
}

TEST_CASE("a domain error from decide propagates unchanged and writes nothing", "[repository]") {
  store_fixture f;
  accounts repo(f.store(), "account");
  repo.save("1", 0, {bank::opened{"ada"}, bank::deposited{5}});
  CHECK_THROWS_AS(repo.update("1", [](const bank::account& a) { return bank::withdraw(a, 20); }),
                  bank::insufficient_funds);
  CHECK(f.store().head_position() == 2);
}

TEST_CASE("update that decides nothing writes nothing", "[repository]") {
  store_fixture f;
  accounts repo(f.store(), "account");
  auto result = repo.update("1", [](const bank::account&) { return std::vector<bank::event>{}; });
  CHECK(result.events.empty());
  CHECK(result.after.version == 0);
  CHECK(f.store().head_position() == 0);
}

TEST_CASE("update retries a conflict by running decide again on the new state", "[repository]") {
  store_fixture f;
  accounts repo(f.store(), "account");
  repo.save("1", 0, {bank::opened{"ada"}, bank::deposited{100}});
  int calls = 0;
  auto result = repo.update("1", [&](const bank::account& a) {
    if (++calls == 1) repo.save("1", 2, {bank::withdrawn{60}});  // a concurrent writer
    return bank::withdraw(a, 30);
  });
  CHECK(calls == 2);
  CHECK(result.attempts == 2);
  CHECK(result.after.state.balance == 10);
  CHECK(result.after.version == 4);
}

TEST_CASE("update gives up after max_retries conflicts", "[repository]") {
  store_fixture f;
  accounts repo(f.store(), "account", retries_and_page(2, 64));
  repo.save("1", 0, {bank::opened{"ada"}});
  int calls = 0;
  CHECK_THROWS_AS(repo.update("1",
                              [&](const bank::account&) {
                                ++calls;
                                repo.save("1", repo.load("1").version, {bank::deposited{1}});
                                return std::vector<bank::event>{bank::deposited{1000}};
                              }),
                  wrong_expected_version);
  CHECK(calls == 3);
  CHECK(repo.load("1").state.balance == 3);
}

TEST_CASE("update at an expected version decides only on that version and never retries",
          "[repository]") {
  store_fixture f;
  accounts repo(f.store(), "account");
  repo.save("1", 0, {bank::opened{"ada"}, bank::deposited{100}});
  // The client saw version 2: decide runs and saves at exactly that version.
  auto result = repo.update("1", 2, [](const bank::account& a) { return bank::withdraw(a, 30); });
  CHECK(result.after.version == 3);
  CHECK(result.after.state.balance == 70);
  // A stale version: refused with the actual version, decide never runs, nothing written.
  int calls = 0;
  try {
    repo.update("1", 2, [&](const bank::account& a) {
      ++calls;
      return bank::withdraw(a, 1);
    });
    FAIL("accepted a stale version");
  } catch (const wrong_expected_version& e) {
    CHECK(e.expected() == "exact(2)");
    CHECK(e.actual_version() == 3);
  }
  CHECK(calls == 0);
  // A writer between the load and the save: the conflict is the caller's to handle, no retry.
  CHECK_THROWS_AS(repo.update("1", 3,
                              [&](const bank::account& a) {
                                ++calls;
                                repo.save("1", 3, {bank::deposited{5}});
                                return bank::withdraw(a, 1);
                              }),
                  wrong_expected_version);
  CHECK(calls == 1);
  CHECK(repo.load("1").state.balance == 75);
  // Version 0 is a new aggregate.
  CHECK(
      repo.update("2", 0,
                  [](const bank::account&) { return std::vector<bank::event>{bank::opened{"bo"}}; })
          .after.version == 1);
}

TEST_CASE("eight threads racing update on one stream lose and duplicate nothing",
          "[repository][concurrency]") {
  store_fixture f;
  accounts repo(f.store(), "account", retries_and_page(1000, 1024));
  repo.save("shared", 0, {bank::opened{"all"}});
  constexpr int threads = 8;
  constexpr int updates = 40;
  std::atomic<int> succeeded{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < updates; ++i) {
        repo.update("shared", [](const bank::account&) {
          return std::vector<bank::event>{bank::deposited{1}};
        });
        ++succeeded;
      }
    });
  }
  for (auto& w : workers) w.join();
  CHECK(succeeded == threads * updates);
  auto loaded = repo.load("shared");
  CHECK(loaded.version == 1 + threads * updates);
  CHECK(loaded.state.balance == threads * updates);
  auto events = f.store().read_stream("account-shared");
  REQUIRE(events.size() == 1 + threads * updates);
  std::set<uuid> ids;
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].stream_version == i + 1);
    ids.insert(events[i].id);
  }
  CHECK(ids.size() == events.size());
}

TEST_CASE("racing updates with few retries: the version counts exactly the successes",
          "[repository][concurrency]") {
  store_fixture f;
  accounts repo(f.store(), "account", retries_and_page(1, 1024));
  constexpr int threads = 8;
  std::atomic<int> succeeded{0};
  std::atomic<int> gave_up{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < 30; ++i) {
        try {
          repo.update("hot", [](const bank::account&) {
            return std::vector<bank::event>{bank::deposited{1}};
          });
          ++succeeded;
        } catch (const wrong_expected_version&) {
          ++gave_up;
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  CHECK(succeeded + gave_up == threads * 30);
  auto loaded = repo.load("hot");
  CHECK(loaded.version == static_cast<std::uint64_t>(succeeded.load()));
  CHECK(loaded.state.balance == succeeded);
}

TEST_CASE("an event the variant does not know fails the load with its position", "[repository]") {
  store_fixture f;
  accounts repo(f.store(), "account");
  repo.save("1", 0, {bank::opened{"ada"}});
  event_data alien;
  alien.type = "account.frozen";
  alien.payload = "{}";
  f.store().append("account-1", expected_version::exact(1), alien);
  try {
    repo.load("1");
    FAIL("loaded");
  } catch (const unknown_event_type& e) {
    CHECK(e.type() == "account.frozen");
    CHECK(e.position() == 2);
    CHECK(e.stream_id() == "account-1");
  }
}

TEST_CASE("a load folds upcast events; the version counts stored events", "[repository]") {
  store_fixture f;
  accounts repo(f.store(), "account");
  event_data opening;
  opening.type = "account.opened_with_deposit";
  opening.payload = R"({"owner":"ada","amount":30})";
  event_data credit;
  credit.type = "account.credited";
  credit.payload = R"({"amount":5})";
  f.store().append("account-1", expected_version::no_stream(),
                   std::vector<event_data>{opening, credit});
  repo.save("1", 2, {bank::withdrawn{10}});

  auto loaded = repo.load("1");
  CHECK(loaded.version == 3);
  CHECK(loaded.state.owner == "ada");
  CHECK(loaded.state.balance == 25);
  CHECK(loaded.state.changes == 3);
  auto first = repo.load_at_version("1", 1);
  CHECK(first.version == 1);
  CHECK(first.state.balance == 30);
  CHECK(first.state.changes == 1);
  CHECK(repo.load_at_position("1", 2).state.balance == 35);
}

TEST_CASE("invalid aggregate ids and categories are rejected", "[repository]") {
  store_fixture f;
  CHECK_THROWS_AS(accounts(f.store(), ""), invalid_argument);
  accounts repo(f.store(), "account");
  CHECK_THROWS_AS(repo.load(""), invalid_argument);
  CHECK_THROWS_AS(repo.load(std::string(300, 'x')), invalid_argument);
  CHECK_THROWS_AS(repo.save("1", 0, {}), invalid_argument);
}
