// Conformance: the hash chain every backend stores with each batch holds through appends,
// copies, group commits, erasure, forgetting and reopening, and its links are the ones core
// computes from the events as stored.
#include <catch2/catch.hpp>
#include <thread>

#include "annal/error.hpp"
#include "annal/store_admin.hpp"
#include "core/batch_chain.hpp"
#include "core/chain_check.hpp"
#include "support/commit_gate.hpp"
#include "support/store_fixture.hpp"

using namespace annal;
using annal::test::make_event;
using annal::test::make_events;
using annal::test::store_fixture;

namespace {

detail::chain_source& links_of(event_store& s) {
  auto* source = dynamic_cast<detail::chain_source*>(&s);
  REQUIRE(source != nullptr);
  return *source;
}

// Every stored batch's link, recomputed from the events as stored and the link before it.
void expect_links_recompute(event_store& s) {
  auto batches = links_of(s).read_batch_links(1, 1'000'000);
  detail::sha256_digest previous = detail::chain_start;
  std::uint64_t next = 1;
  bool pending_seen = false;
  for (const auto& b : batches) {
    CHECK(b.first_position == next);
    // A link not stored yet (the segment log's last commit group) is one of the last batches'.
    REQUIRE((b.link || b.link_pending));
    if (b.link_pending) pending_seen = true;
    CHECK((b.link_pending || !pending_seen));
    auto events = read_stored_log(s, b.first_position, b.last_position - b.first_position + 1);
    REQUIRE(events.events.size() == b.last_position - b.first_position + 1);
    auto computed = detail::stored_link(previous, events.events);
    if (b.link) CHECK(*b.link == computed);
    previous = computed;
    next = b.last_position + 1;
  }
  CHECK(next == s.head_position() + 1);
}

void expect_chain_holds(event_store& s, std::uint64_t batches) {
  auto report = detail::check_chain(s);
  INFO(report.problem);
  CHECK(report.ok());
  CHECK(report.batches_checked == batches);
  CHECK(report.events_checked == s.head_position());
  CHECK(report.batches_without_link == 0);
}

}  // namespace

TEST_CASE("every batch stores a link that follows from its events and the link before it",
          "[chain]") {
  store_fixture f;
  auto& s = f.store();
  expect_chain_holds(s, 0);
  CHECK(links_of(s).read_batch_links(1, 10).empty());
  s.append("a", expected_version::no_stream(), make_events(1));
  s.append("b", expected_version::no_stream(), make_events(100));
  event_data with_metadata = make_event("with.metadata", 7);
  with_metadata.metadata.correlation_id = "order-42";
  with_metadata.metadata.properties = {{"tenant", "t-1"}, {"user", "u"}};
  s.append("a", expected_version::exact(1), with_metadata);
  event_data binary = make_event("binary.payload", 8);
  binary.encoding = payload_encoding::binary;
  binary.payload = std::string("\0\1\2\xff", 4);
  s.append("c", expected_version::any(), binary);
  // A retry of a stored batch writes nothing and so adds no link.
  auto again = make_events(2);
  s.append("d", expected_version::no_stream(), again);
  s.append("d", expected_version::no_stream(), again);
  expect_chain_holds(s, 5);
  expect_links_recompute(s);

  // Paging: from a batch's first position, at most max_count batches, with their links.
  auto two = links_of(s).read_batch_links(2, 2);
  REQUIRE(two.size() == 2);
  CHECK(two[0].first_position == 2);
  CHECK(two[0].last_position == 101);
  CHECK(two[1].first_position == 102);
  CHECK_FALSE(two[0].file.empty());
  CHECK((two[0].link && two[1].link));
  // Only the last batch may wait for its link, which the next append stores.
  auto all = links_of(s).read_batch_links(1, 100);
  REQUIRE(all.size() == 5);
  for (std::size_t i = 0; i + 1 < all.size(); ++i) CHECK(all[i].link);
  s.append("d", expected_version::exact(2), make_event("after", 1));
  CHECK(links_of(s).read_batch_links(all.back().first_position, 1).at(0).link);
  expect_links_recompute(s);

  auto& reopened = f.reopen();
  reopened.append("e", expected_version::any(), make_events(3));  // continues from the last link
  // The batch before the reopening has its link stored now, as every batch but the last.
  auto after_reopen = links_of(f.store()).read_batch_links(1, 100);
  REQUIRE(after_reopen.size() == 7);
  for (std::size_t i = 0; i + 1 < after_reopen.size(); ++i) CHECK(after_reopen[i].link);
  expect_chain_holds(f.store(), 7);
  expect_links_recompute(f.store());
}

TEST_CASE("copied batches and concurrent appends are linked in position order", "[chain]") {
  store_fixture f;
  auto& s = f.store();
  s.append("a", expected_version::no_stream(), make_events(2));
  recorded_event copy;
  copy.position = 3;
  copy.stream_version = 1;
  copy.stream_id = "copied";
  copy.type = "copied.event";
  copy.id = uuid::v7();
  copy.timestamp =
      std::chrono::system_clock::time_point(std::chrono::microseconds(1'700'000'000'123'456));
  copy.payload = R"({"n":1})";
  copy.metadata.properties = {{"origin", "elsewhere"}};
  append_recorded(s, std::span(&copy, 1));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&s, t] {
      for (int i = 0; i < 25; ++i) {
        s.append("t-" + std::to_string(t), expected_version::any(), make_events(1 + i % 3));
      }
    });
  }
  for (auto& t : threads) t.join();
  expect_chain_holds(s, 2 + 100);
  expect_links_recompute(s);
}

TEST_CASE("a group whose first append is refused stores the links before it with the next",
          "[chain]") {
  test::commit_gate gate;
  store_fixture f(gate.hooks());
  auto& s = f.store();
  std::vector<std::thread> threads;
  threads.emplace_back([&] { s.append("blocker", expected_version::any(), make_event()); });
  gate.wait_until_held();
  bool refused = false;
  threads.emplace_back([&] {
    try {
      s.append("a", expected_version::exact(7), make_events(1));
    } catch (const wrong_expected_version&) {
      refused = true;
    }
  });
  gate.wait_until_queued(2);
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      s.append("b-" + std::to_string(i), expected_version::no_stream(), make_events(2));
    });
    gate.wait_until_queued(static_cast<std::size_t>(i) + 3);
  }
  gate.release();
  for (auto& t : threads) t.join();
  CHECK(refused);
  s.append("c", expected_version::no_stream(), make_events(1));
  expect_chain_holds(s, 5);
  expect_links_recompute(s);
  auto links = links_of(s).read_batch_links(1, 100);
  REQUIRE(links.size() == 5);
  for (std::size_t i = 0; i + 1 < links.size(); ++i) CHECK(links[i].link);
}

TEST_CASE("erasing deleted streams keeps every link", "[chain]") {
  store_fixture f;
  auto& s = f.store();
  s.append("gone", expected_version::no_stream(), make_events(3));
  s.append("kept", expected_version::no_stream(), make_events(2));
  s.delete_stream("gone", expected_version::exact(3), deletion::hard, "asked");
  // Filler seals the small-segment suite's segments, so that the erasure rewrites one.
  for (int i = 0; i < 40; ++i) s.append("filler", expected_version::any(), make_events(1));
  auto before = detail::check_chain(s);
  REQUIRE(before.ok());
  auto done = scavenge(s);
  CHECK(done.events_erased + done.events_deferred == 3);
  auto after = detail::check_chain(s);
  INFO(after.problem);
  CHECK(after.ok());
  CHECK(after.batches_checked == before.batches_checked);
  expect_links_recompute(f.reopen());
}
