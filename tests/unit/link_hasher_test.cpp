// The segment log's link hasher: the links it computes on its thread are the chain's, whether the
// thread was polling for the job or asleep.
#include "segment/link_hasher.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "core/batch_chain.hpp"
#include "support/store_fixture.hpp"

using namespace annal;
using annal::test::make_events;

TEST_CASE("a group's links are the chain's, computed on the hasher's thread", "[segment][chain]") {
  auto first = make_events(3);
  auto second = make_events(2);
  first[1].tags = {"course:c1"};
  std::vector<std::string> metadata{"", "{\"correlation_id\":\"x\"}", ""};
  auto second_contents = detail::content_digests(second, {});
  std::vector<segment::batch_to_link> batches{
      {"s", 10, 4, 1'700'000'000'000'000, first, metadata, {}},
      {"t", 13, 1, 1'700'000'000'000'000, second, {}, second_contents}};
  detail::sha256_digest previous = detail::chain_start;
  previous[0] ^= 1;
  auto a = detail::append_link(previous, "s", 10, 4, 1'700'000'000'000'000, first,
                               detail::content_digests(first, metadata));
  auto b = detail::append_link(a, "t", 13, 1, 1'700'000'000'000'000, second, second_contents);
  CHECK(segment::link_batches(previous, batches) == std::vector<detail::sha256_digest>{a, b});

  segment::link_hasher hasher;
  for (int round = 0; round < 3; ++round) {
    // Round 0 finds the thread polling or asleep, round 1 polling, round 2 asleep.
    if (round == 2) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    hasher.start(previous, batches);
    CHECK(hasher.wait() == std::vector<detail::sha256_digest>{a, b});
  }
  hasher.start(a, std::span(batches).subspan(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the writer finds it done
  CHECK(hasher.wait() == std::vector<detail::sha256_digest>{b});
  // A job longer than the writer polls for: wait() sleeps until the hasher wakes it.
  auto many = make_events(20000);
  std::vector<segment::batch_to_link> big{{"m", 1, 1, 7, many, {}, {}}};
  auto expected = detail::append_link(b, "m", 1, 1, 7, many, detail::content_digests(many, {}));
  hasher.start(b, big);
  CHECK(hasher.wait() == std::vector<detail::sha256_digest>{expected});
}
