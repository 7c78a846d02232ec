// Typed projections read old event versions and names through the variant's upcasters.
#include <catch2/catch.hpp>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "projection/projection_fixture.hpp"

namespace wallet {

struct funded {
  static constexpr std::string_view type = "wallet.funded";
  static constexpr int version = 2;
  long long cents;
};
struct named {
  static constexpr std::string_view type = "wallet.named";
  std::string name;
};
using event = std::variant<funded, named>;

// Version 1 stored whole euros; negative amounts were a bug of that release.
struct funded_v1 {
  static constexpr std::string_view type = "wallet.funded";
  long long euros;
};
funded to_cents(const funded_v1& e) {
  if (e.euros < 0) throw std::runtime_error("a negative amount");
  return {e.euros * 100};
}
// "wallet.opened" named the wallet and funded it in one event.
struct opened {
  static constexpr std::string_view type = "wallet.opened";
  std::string name;
  long long cents;
};
std::vector<event> split_opened(const opened& e) { return {named{e.name}, funded{e.cents}}; }

}  // namespace wallet

template <>
struct annal::upcasters_of<wallet::event>
    : annal::upcasters<annal::upcast<&wallet::to_cents>, annal::upcast<&wallet::split_opened>,
                       annal::rename<"wallet.labelled", "wallet.named">> {};

using namespace annal;
using namespace std::chrono_literals;
using annal::test::projection_fixture;
using annal::test::stored_event;

TEST_CASE("a typed sink receives old versions, renamed and split events as today's", "[upcast]") {
  projection_fixture f;
  f.store().append(
      "wallet-1", expected_version::any(),
      std::vector<event_data>{stored_event("wallet.opened", 1, R"({"name":"ada","cents":5})"),
                              stored_event("wallet.funded", 1, R"({"euros":2})"),
                              stored_event("wallet.labelled", 1, R"({"name":"ada's"})"),
                              event_codec<wallet::event>::encode(wallet::funded{7})});
  std::mutex m;
  std::vector<std::string> seen;
  projection_runner runner(f.store(), f.model);
  runner.add(
      sink_projection<wallet::event>("wallets", 1, [&](const auto& e, const recorded_event& r) {
        std::lock_guard lock(m);
        if constexpr (std::is_same_v<std::decay_t<decltype(e)>, wallet::funded>) {
          seen.push_back(std::to_string(r.position) + ":funded " + std::to_string(e.cents));
        } else {
          seen.push_back(std::to_string(r.position) + ":named " + e.name);
        }
      }));
  runner.start();
  REQUIRE(runner.wait_until("wallets", 4, 30s));
  std::lock_guard lock(m);
  CHECK(seen == std::vector<std::string>{"1:named ada", "1:funded 5", "2:funded 200",
                                         "3:named ada's", "4:funded 7"});
}

TEST_CASE("an upcaster that throws in a projection goes to its error policy", "[upcast]") {
  projection_fixture f;
  f.store().append("wallet-1", expected_version::any(),
                   std::vector<event_data>{stored_event("wallet.funded", 1, R"({"euros":1})"),
                                           stored_event("wallet.funded", 1, R"({"euros":-1})"),
                                           stored_event("wallet.funded", 1, R"({"euros":3})")});
  std::mutex m;
  long long total = 0;
  projection_runner runner(f.store(), f.model);
  runner.add(sink_projection<wallet::event>(
      "wallets", 1,
      [&](const auto& e, const recorded_event&) {
        if constexpr (std::is_same_v<std::decay_t<decltype(e)>, wallet::funded>) {
          std::lock_guard lock(m);
          total += e.cents;
        }
      },
      error_policy::skip_and_record()));
  runner.start();
  REQUIRE(runner.wait_until("wallets", 3, 30s));
  {
    std::lock_guard lock(m);
    CHECK(total == 400);
  }
  auto letters = runner.dead_letters("wallets");
  REQUIRE(letters.size() == 1);
  CHECK(letters[0].position == 2);
  CHECK(letters[0].error ==
        "annal: the upcaster of 'wallet.funded' version 1 failed at position 2 in stream "
        "'wallet-1': a negative amount");
}
