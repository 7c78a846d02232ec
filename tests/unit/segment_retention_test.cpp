// The segment log's retention: the oldest sealed segments deleted or archived, the log still whole.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "annal/error.hpp"
#include "annal/open_store.hpp"
#include "annal/store_admin.hpp"
#include "annal/verify.hpp"
#include "backends/open_store_with_hooks.hpp"
#include "core/chain_check.hpp"
#include "support/commit_gate.hpp"
#include "support/eventually.hpp"
#include "support/segment_dir.hpp"
#include "support/store_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace annal;
using namespace std::chrono_literals;

namespace {

// 120 single-event batches to 4 streams, about 190 bytes each: a dozen 2 KiB segments.
std::vector<recorded_event> fill(event_store& store) {
  for (int i = 0; i < 120; ++i) {
    store.append("s-" + std::to_string(i % 4), expected_version::any(),
                 test::make_padded_events(1));
  }
  return store.read_all(1, unlimited).events;
}

}  // namespace

TEST_CASE("retention by size deletes the oldest sealed segments; the log starts after them",
          "[segment][retention]") {
  test::temp_dir dir;
  std::string path = dir.file("store");
  std::string plain = "segment:" + path + "?segment_size=2048";
  std::vector<recorded_event> all;
  {
    auto store = open_store(plain);
    all = fill(*store);
  }
  auto store = open_store(plain + "&retention_bytes=6000");
  // Within the limit, the retention thread has finished: it removes a file only after the store
  // stopped reading it.
  REQUIRE(test::eventually([&] { return test::segment_file_bytes(path) <= 6000; }));
  auto d = describe(*store);
  CHECK(d.first_position > 1);
  CHECK(d.archived_segment_count == 0);
  CHECK(store->head_position() == all.size());
  // Reads start at the log's first position; every event left is the one stored there.
  auto left = store->read_all(1, unlimited).events;
  REQUIRE_FALSE(left.empty());
  CHECK(left.front().position == d.first_position);
  CHECK(left.back().position == all.size());
  for (const auto& e : left) CHECK(e == all[e.position - 1]);
  // A stream shows the events left, at their versions.
  auto stream = store->read_stream("s-0");
  REQUIRE_FALSE(stream.empty());
  CHECK(stream.front().position >= d.first_position);
  CHECK(stream.back().stream_version == 30);
  // An id whose event retention deleted stays taken until a reopen: its place is gone.
  std::vector<event_data> again{{all[0].id, "test.happened", "{}", payload_encoding::json, {}, 1}};
  CHECK_THROWS_WITH(store->append("s-0", expected_version::any(), again),
                    Catch::Contains("which segment retention deleted"));
  // Appends go on at the head.
  CHECK(store->append("s-0", expected_version::exact(30), test::make_padded_events(1))
            .first_position == all.size() + 1);
  store->close();
  store.reset();
  CHECK(verify_store(plain).ok());
  // The append may have rolled a segment and let retention delete one more before the close.
  auto reopened = open_store(plain);
  auto first = describe(*reopened).first_position;
  CHECK(first >= d.first_position);
  CHECK(reopened->read_all(1, 1).events.front().position == first);
  CHECK(reopened->read_stream("s-0").back().stream_version == 31);
  // The hash chain is checked from the log's start: its first batch's link is taken as given.
  auto chain = detail::check_chain(*reopened);
  INFO(chain.problem);
  CHECK(chain.ok());
  CHECK(chain.first_position == first + 1);
  CHECK(chain.events_checked == reopened->head_position() - first);
}

TEST_CASE("retention by age deletes only segments whose newest event is older than the age",
          "[segment][retention]") {
  test::temp_dir dir;
  std::string path = dir.file("store");
  std::string plain = "segment:" + path + "?segment_size=2048";
  {
    auto store = open_store(plain);
    // 60 events recorded two hours ago, then 60 now.
    auto old = std::chrono::system_clock::now() - 2h;
    for (std::uint64_t p = 1; p <= 60; ++p) {
      recorded_event e;
      e.position = p;
      e.stream_id = "old";
      e.stream_version = p;
      e.type = "test.happened";
      e.id = uuid::v7();
      e.timestamp = std::chrono::time_point_cast<std::chrono::microseconds>(old);
      e.payload = R"({"pad":")" + std::string(120, 'p') + R"("})";
      append_recorded(*store, std::span<const recorded_event>(&e, 1));
    }
    for (int i = 0; i < 60; ++i)
      store->append("new", expected_version::any(), test::make_padded_events(1));
  }
  auto store = open_store(plain + "&retention_age_s=3600");
  REQUIRE(test::eventually([&] { return describe(*store).first_position > 1; }));
  // Give it a moment to go too far, if it would.
  std::this_thread::sleep_for(200ms);
  auto first = describe(*store).first_position;
  CHECK(first <= 61);
  auto left = store->read_all(1, unlimited).events;
  CHECK(left.front().position == first);
  CHECK(store->read_stream("new").size() == 60);
}

TEST_CASE("retention with an archive moves segments there and the store still reads them",
          "[segment][retention]") {
  test::temp_dir dir;
  std::string path = dir.file("store");
  std::string archive = dir.file("archive");
  std::string plain = "segment:" + path + "?segment_size=2048";
  std::string archived = plain + "&archive_dir=" + archive;
  std::vector<recorded_event> all;
  {
    auto store = open_store(plain);
    all = fill(*store);
  }
  auto store = open_store(archived + "&retention_bytes=6000");
  // Within the limit, the retention thread has finished: it removes a file only after the store
  // stopped reading it.
  REQUIRE(test::eventually([&] { return test::segment_file_bytes(path) <= 6000; }));
  auto d = describe(*store);
  CHECK(d.first_position == 1);
  CHECK(d.archived_segment_count > 0);
  CHECK(test::segment_file_count(archive) == d.archived_segment_count);
  CHECK(store->read_all(1, unlimited).events == all);
  CHECK(store->read_stream("s-1").size() == 30);
  // A scavenge rewrites archived segments where they are.
  store->delete_stream("s-1", expected_version::any());
  for (int i = 0; i < 30; ++i)
    store->append("filler", expected_version::any(), test::make_padded_events(1));
  CHECK(scavenge(*store).events_erased == 30);
  store->close();
  store.reset();
  CHECK(verify_store(archived).ok());
  {
    auto reopened = open_store(archived);
    auto log = reopened->read_all(1, unlimited).events;
    REQUIRE(log.size() > all.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
      CHECK(log[i].type == (all[i].stream_id == "s-1" ? "$erased" : all[i].type));
    }
  }
  // Without the archive directory the store says where its start went.
  CHECK_THROWS_WITH(open_store(plain),
                    Catch::Contains("a segment file is missing (or archived by retention"));
}

TEST_CASE("retention options are checked", "[segment][retention]") {
  test::temp_dir dir;
  std::string plain = "segment:" + dir.file("store");
  CHECK_THROWS_AS(open_store(plain + "?retention_bytes=lots"), invalid_argument);
  CHECK_THROWS_AS(open_store(plain + "?retention_age_s=99999999999"), invalid_argument);
  CHECK_THROWS_AS(open_store(plain + "?archive_dir="), invalid_argument);
}

TEST_CASE("retention deletes no segment that holds a stream's latest events",
          "[segment][retention]") {
  test::temp_dir dir;
  std::string path = dir.file("store");
  std::string plain = "segment:" + path + "?segment_size=2048";
  {
    auto store = open_store(plain);
    // "quiet" is written once, tombstoned, and has a truncation in its metadata stream; all of it
    // sits in the first segment, which retention must therefore keep.
    store->append("quiet", expected_version::no_stream(), test::make_padded_events(2));
    store->append("kept", expected_version::no_stream(), test::make_padded_events(2));
    store->set_stream_metadata("kept", {.truncate_before = 2});
    store->delete_stream("quiet", expected_version::any(), deletion::hard);
    fill(*store);
  }
  {
    auto store = open_store(plain + "&retention_bytes=1");
    // The writer rolls nothing here; the first pass runs at open. Give it time to go too far.
    std::this_thread::sleep_for(300ms);
    CHECK(describe(*store).first_position == 1);
  }
  auto store = open_store(plain);
  CHECK_THROWS_AS(store->append("quiet", expected_version::any(), test::make_padded_events(1)),
                  stream_deleted);
  CHECK(store->read_stream("kept").size() == 1);
}

TEST_CASE("the archive directory must not be the store's", "[segment][retention]") {
  test::temp_dir dir;
  std::string path = dir.file("store");
  CHECK_THROWS_WITH(open_store("segment:" + path + "?archive_dir=" + path + "/"),
                    Catch::Contains("archive_dir must be another directory"));
  CHECK_THROWS_WITH(open_store("segment:" + path + "/?archive_dir=" + path + "/./"),
                    Catch::Contains("archive_dir must be another directory"));
}

TEST_CASE(
    "retention keeps the segment where the last commit group starts: its first frame holds "
    "the link the log continues from",
    "[segment][retention][chain]") {
  test::temp_dir dir;
  std::string path = dir.file("store");
  std::string plain = "segment:" + path + "?segment_size=2048";
  {
    auto store = open_store(plain);
    fill(*store);
  }
  // The last group: twenty batches of about 190 bytes queued behind a held one, committed as one
  // group that rolls into new segments on the way.
  std::uint64_t group_start = 0;
  {
    test::commit_gate gate;
    auto store = detail::open_store_with_hooks(plain, {}, gate.hooks());
    group_start = store->head_position() + 2;
    std::vector<std::thread> threads;
    threads.emplace_back(
        [&] { store->append("s-0", expected_version::any(), test::make_padded_events(1)); });
    gate.wait_until_held();
    for (int i = 0; i < 20; ++i) {
      threads.emplace_back([&, i] {
        store->append("s-" + std::to_string(i % 4), expected_version::any(),
                      test::make_padded_events(1));
      });
      gate.wait_until_queued(static_cast<std::size_t>(i) + 2);
    }
    gate.release();
    for (auto& t : threads) t.join();
    REQUIRE(store->head_position() == group_start + 19);
  }
  // Retention of everything it may take: every stream goes on in the last group, but the segment
  // holding the group's first frame stays.
  std::atomic<int> passes{0};
  {
    detail::store_hooks hooks;
    hooks.after_retention = [&] { ++passes; };
    auto store = detail::open_store_with_hooks(plain + "&retention_bytes=1", {}, hooks);
    REQUIRE(test::eventually([&] { return passes.load() >= 1; }));
    auto first = describe(*store).first_position;
    CHECK(first > 1);
    CHECK(first <= group_start);
  }
  // The log continues its chain from the link that frame stores.
  auto store = open_store(plain);
  store->append("after", expected_version::no_stream(), test::make_padded_events(1));
  auto chain = detail::check_chain(*store);
  INFO(chain.problem);
  CHECK(chain.ok());
  CHECK(chain.batches_awaiting_link == 1);
}
