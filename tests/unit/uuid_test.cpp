// Tests of UUIDv7 generation, parsing and formatting.
#include "annal/uuid.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "annal/error.hpp"
#include "support/process.hpp"

using annal::uuid;

TEST_CASE("v7 ids carry version 7 and the RFC variant", "[uuid]") {
  auto id = uuid::v7();
  CHECK((id.bytes()[6] >> 4) == 7);
  CHECK((id.bytes()[8] >> 6) == 2);
  CHECK_FALSE(id.is_nil());
}

TEST_CASE("v7 ids from one process are strictly increasing", "[uuid]") {
  uuid previous = uuid::v7();
  for (int i = 0; i < 100000; ++i) {
    uuid next = uuid::v7();
    REQUIRE(previous < next);
    previous = next;
  }
}

TEST_CASE("v7 ids generated on many threads are unique", "[uuid]") {
  std::vector<std::vector<uuid>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& ids : per_thread) {
    threads.emplace_back([&ids] {
      for (int i = 0; i < 20000; ++i) ids.push_back(uuid::v7());
    });
  }
  for (auto& t : threads) t.join();
  std::set<uuid> all;
  for (auto& ids : per_thread) all.insert(ids.begin(), ids.end());
  CHECK(all.size() == 80000);
}

TEST_CASE("text form round-trips and is lower case", "[uuid]") {
  auto id = uuid::v7();
  auto text = id.to_string();
  CHECK(text.size() == 36);
  CHECK(uuid::parse(text) == id);
  CHECK(uuid::parse("0190F3A2-7B1C-7DEF-8123-456789ABCDEF").to_string() ==
        "0190f3a2-7b1c-7def-8123-456789abcdef");
}

TEST_CASE("malformed text is rejected with invalid_argument", "[uuid]") {
  CHECK_THROWS_AS(uuid::parse(""), annal::invalid_argument);
  CHECK_THROWS_AS(uuid::parse("0190f3a2-7b1c-7def-8123-456789abcdeg"), annal::invalid_argument);
  CHECK_THROWS_AS(uuid::parse("0190f3a27b1c7def8123456789abcdef"), annal::invalid_argument);
  CHECK_THROWS_AS(uuid::parse("0190f3a2-7b1c-7def-8123-456789abcdef0"), annal::invalid_argument);
  // Found by fuzzing: a fifth hyphen made the parser read past the end of the text.
  CHECK_THROWS_AS(uuid::parse("0190c3a2-7b1e-7c3d-8f00-0122-56789ab"), annal::invalid_argument);
  CHECK_THROWS_AS(uuid::parse("0190c3a2-7b1e-7c3d-8f00-0123456789a-"), annal::invalid_argument);
}

TEST_CASE("the default uuid is nil", "[uuid]") { CHECK(uuid{}.is_nil()); }

namespace {

// Returns once the system clock, which v7() reads, is in a later millisecond than when called:
// the next v7() then draws a new counter and tail instead of counting on from the last id.
void wait_for_a_new_millisecond() {
  auto now_ms = [] {
    return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  };
  auto start = now_ms();
  while (now_ms() <= start) std::this_thread::yield();
}

}  // namespace

TEST_CASE("a forked child makes ids of its own, not its parent's", "[uuid]") {
  uuid::v7();  // the generator is seeded before the fork
  wait_for_a_new_millisecond();
  std::array<std::uint8_t, 16> child_bytes{};
  {
    annal::test::process child([](annal::test::process& parent) {
      // A new millisecond, so the generator draws its counter and tail as the parent will.
      wait_for_a_new_millisecond();
      uuid id = uuid::v7();
      parent.send(id.bytes().data(), id.bytes().size());
    });
    REQUIRE(child.receive(child_bytes.data(), child_bytes.size()));
    CHECK(child.finish() == 0);
  }
  // Both drew after the fork from the same state unless the child reseeded: the random tail
  // (the last 8 bytes) would be equal.
  wait_for_a_new_millisecond();
  uuid parent_id = uuid::v7();
  CHECK_FALSE(
      std::equal(child_bytes.begin() + 8, child_bytes.end(), parent_id.bytes().begin() + 8));
}
