// The segment log's scavenge: sealed segments rewritten while appends and reads go on.
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "annal/error.hpp"
#include "annal/open_store.hpp"
#include "annal/store_admin.hpp"
#include "annal/verify.hpp"
#include "support/segment_dir.hpp"
#include "support/store_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace annal;

namespace {

constexpr int streams = 24;

std::string stream_of(int s) { return "s-" + std::to_string(s); }

}  // namespace

TEST_CASE("a segment scavenge rewrites sealed segments while appends and reads go on",
          "[segment][scavenge]") {
  test::temp_dir dir;
  std::string path = dir.file("store");
  std::string uri = "segment:" + path + "?segment_size=2048";
  std::vector<std::string> warnings;
  store_options options;
  options.on_warning = [&](const std::string& w) { warnings.push_back(w); };
  auto store = open_store(uri, options);
  for (int s = 0; s < streams; ++s) {
    store->append(stream_of(s), expected_version::no_stream(), test::make_padded_events(3));
    if (s % 2 == 0) store->delete_stream(stream_of(s), expected_version::any());
  }
  for (int i = 0; i < 12; ++i)
    store->append("filler", expected_version::any(), test::make_padded_events(1));
  auto before = store->read_all(1, unlimited).events;
  std::vector<std::vector<recorded_event>> kept;
  for (int s = 1; s < streams; s += 2) kept.push_back(store->read_stream(stream_of(s)));
  // The sealed segments before the scavenge, by name: the active one is the last.
  auto sizes = [&] {
    std::map<std::string, std::uintmax_t> by_name;
    for (const auto& entry : std::filesystem::directory_iterator(path)) {
      if (entry.path().extension() == ".seg") {
        by_name[entry.path().filename().string()] = entry.file_size();
      }
    }
    return by_name;
  };
  auto sealed_before = sizes();
  sealed_before.erase(std::prev(sealed_before.end()));

  std::atomic<bool> stop{false};
  std::atomic<int> appended{0};
  std::atomic<int> reads{0};
  std::thread appender([&] {
    while (!stop) {
      store->append("live", expected_version::any(), test::make_padded_events(1));
      ++appended;
    }
  });
  // Catch2's assertions are for the test's own thread: the reader counts what it saw wrong.
  std::atomic<int> wrong_reads{0};
  std::thread reader([&] {
    while (!stop) {
      for (int s = 1; s < streams; s += 2) {
        if (store->read_stream(stream_of(s)) != kept[static_cast<std::size_t>(s / 2)]) {
          ++wrong_reads;
        }
      }
      auto log = store->read_all(1, before.size()).events;
      bool same = log.size() == before.size();
      for (std::size_t i = 0; same && i < log.size(); ++i) same = log[i].id == before[i].id;
      if (!same) ++wrong_reads;
      ++reads;
    }
  });
  auto report = scavenge(*store);
  stop = true;
  appender.join();
  reader.join();
  CHECK(wrong_reads == 0);
  CHECK(report.events_erased == streams / 2 * 3);
  CHECK(report.events_deferred == 0);
  CHECK(reads > 0);
  CHECK(appended > 0);

  auto check = [&](event_store& s) {
    auto after = s.read_all(1, before.size()).events;
    REQUIRE(after.size() == before.size());
    std::size_t erased = 0;
    for (std::size_t i = 0; i < after.size(); ++i) {
      CAPTURE(i);
      bool hidden = after[i].stream_id.starts_with("s-") &&
                    std::stoi(after[i].stream_id.substr(2)) % 2 == 0 &&
                    before[i].type == "test.happened";
      if (hidden) {
        ++erased;
        CHECK(after[i].type == "$erased");
        CHECK(after[i].id == before[i].id);
        CHECK(after[i].timestamp == before[i].timestamp);
        CHECK(after[i].stream_version == before[i].stream_version);
      } else {
        CHECK(after[i] == before[i]);
      }
    }
    CHECK(erased == streams / 2 * 3);
    for (int k = 1; k < streams; k += 2) {
      CHECK(s.read_stream(stream_of(k)) == kept[static_cast<std::size_t>(k / 2)]);
    }
    // Event ids are still known: a retry of an erased event's batch is recognised.
    CHECK_FALSE(s.append(before[0].stream_id, expected_version::any(),
                         std::vector<event_data>{
                             {before[0].id, "test.happened", "{}", payload_encoding::json, {}, 1}})
                    .written);
  };
  check(*store);
  CHECK(scavenge(*store).events_erased == 0);
  store->close();
  // Each sealed segment is no larger than before. An erased payload (type, version, digest:
  // about 110 bytes) replaces each 132-byte one here, and the metadata goes.
  auto after = sizes();
  std::uintmax_t total_before = 0;
  std::uintmax_t total_after = 0;
  for (const auto& [name, size] : sealed_before) {
    CAPTURE(name);
    CHECK(after.at(name) <= size);
    total_before += size;
    total_after += after.at(name);
  }
  CHECK(total_after < total_before);
  CHECK(verify_store(uri).ok());
  // The rewritten segments' index files describe them: the next open rebuilds nothing.
  warnings.clear();
  store = open_store(uri, options);
  CHECK(warnings.empty());
  check(*store);
}

TEST_CASE("a scavenge leaves the active segment and erases it once sealed", "[segment][scavenge]") {
  test::temp_dir dir;
  std::string uri = "segment:" + dir.file("store") + "?segment_size=4096";
  auto store = open_store(uri);
  store->append("gone", expected_version::no_stream(), test::make_padded_events(2));
  store->delete_stream("gone", expected_version::any());
  auto first = scavenge(*store);
  CHECK(first.events_erased == 0);
  CHECK(first.events_deferred == 2);
  CHECK(store->read_all(1, 1).events[0].type == "test.happened");
  for (int i = 0; i < 30; ++i)
    store->append("filler", expected_version::any(), test::make_padded_events(1));
  auto second = scavenge(*store);
  CHECK(second.events_erased == 2);
  CHECK(second.events_deferred == 0);
  CHECK(store->read_all(1, 1).events[0].type == "$erased");
}

TEST_CASE("a scavenge stops at a damaged sealed segment and changes nothing in it",
          "[segment][scavenge]") {
  test::temp_dir dir;
  std::string path = dir.file("store");
  std::string uri = "segment:" + path + "?segment_size=2048";
  {
    auto store = open_store(uri);
    store->append("gone", expected_version::no_stream(), test::make_padded_events(3));
    store->delete_stream("gone", expected_version::any());
    for (int i = 0; i < 20; ++i) {
      store->append("filler", expected_version::any(), test::make_padded_events(1));
    }
  }
  std::string first_segment = path + "/00000000000000000001.seg";
  std::string bytes;
  {
    std::ifstream in(first_segment, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  // A flipped byte in the segment's last filler event, which only the rewrite reads: its
  // frame's checksum no longer matches.
  auto at = bytes.rfind("pppp");
  REQUIRE(at != std::string::npos);
  std::string damaged = bytes;
  damaged[at] = 'q';
  {
    std::ofstream out(first_segment, std::ios::binary | std::ios::trunc);
    out << damaged;
  }
  store_options options;
  options.on_warning = [](const std::string&) {};
  auto store = open_store(uri, options);  // the index lets the open skip the damaged frame
  CHECK_THROWS_AS(scavenge(*store), corruption);
  store->close();
  std::ifstream in(first_segment, std::ios::binary);
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == damaged);
}
