// Durability of the segment backend under simulated power cuts and I/O errors, at every I/O point.
#include <catch2/catch.hpp>
#include <condition_variable>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "annal/error.hpp"
#include "annal/store_admin.hpp"
#include "annal/system_events.hpp"
#include "core/chain_check.hpp"
#include "segment/segment_store.hpp"
#include "support/fault_file_system.hpp"
#include "support/store_fixture.hpp"

using namespace annal;
using annal::io::crash_mode;
using annal::io::fault_file_system;
using annal::io::fault_kind;
using annal::test::make_events;

namespace {

constexpr const char* dir = "/store";

// One append of the scripted workload.
struct attempt {
  std::string stream;
  std::vector<event_data> events;
  bool acknowledged = false;
  append_result result;
};

// Appends, rolls segments (small segment size), mixes streams and batch sizes; stops at the
// first error, as a process would when its disk fails or its power is cut.
std::vector<attempt> run_workload(fault_file_system& fs, const store_options& options,
                                  bool close_at_end) {
  std::vector<attempt> attempts;
  try {
    segment_store store(dir, options, std::shared_ptr<io::file_system>(&fs, [](auto*) {}));
    for (int i = 0; i < 24; ++i) {
      attempt a;
      a.stream = "s" + std::to_string(i % 3);
      a.events = make_events(1 + i % 4);
      attempts.push_back(a);
      attempts.back().result = store.append(a.stream, expected_version::any(), a.events);
      attempts.back().acknowledged = true;
    }
    if (close_at_end) store.close();
  } catch (const io_error&) {
    // The injected fault: the workload ends here.
  }
  return attempts;
}

// Makes commit groups by construction: a group of one append (a "blocker") waits at its start
// until the test lets it go, so the appends the test queues meanwhile form the next group.
class group_maker {
 public:
  detail::store_hooks hooks() {
    detail::store_hooks h;
    h.on_queued = [this] {
      std::lock_guard lock(mutex_);
      ++queued_;
      changed_.notify_all();
    };
    h.before_group = [this](std::size_t size) {
      if (size != 1) return;
      std::unique_lock lock(mutex_);
      std::size_t mine = ++held_;
      changed_.notify_all();
      changed_.wait(lock, [&] { return released_ >= mine; });
    };
    return h;
  }
  void wait_until_queued(std::size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return queued_ >= count; });
  }
  void wait_until_held(std::size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return held_ >= count; });
  }
  void release_one() {
    std::lock_guard lock(mutex_);
    ++released_;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t queued_ = 0;
  std::size_t held_ = 0;
  std::size_t released_ = 0;
};

// The same kind of workload from several threads: 8 waves, each a blocker and then 3 appends to
// 3 streams that commit as one group; with 2 KiB segments, every group is cut by a segment roll.
// Stops at the first error.
std::vector<attempt> run_grouped_workload(fault_file_system& fs, const store_options& options) {
  constexpr int waves = 8;
  constexpr int per_wave = 3;
  std::vector<attempt> attempts(waves * (per_wave + 1));
  try {
    group_maker groups;
    segment_store store(dir, options, std::shared_ptr<io::file_system>(&fs, [](auto*) {}),
                        groups.hooks());
    std::size_t queued = 0;
    for (int w = 0; w < waves; ++w) {
      std::vector<std::thread> threads;
      for (int i = 0; i <= per_wave; ++i) {
        attempt& a = attempts[static_cast<std::size_t>(w * (per_wave + 1) + i)];
        a.stream = i == 0 ? "blocker" : "s" + std::to_string(i);
        a.events = make_events(static_cast<std::size_t>(i == 0 ? 1 : 2 + (w + i) % 3));
        // About 300 bytes an event: a wave's group of three batches never fits in what is left
        // of a segment, so every group is cut by a roll after its first or second batch.
        for (auto& e : a.events) e.payload = "{\"pad\":\"" + std::string(280, 'p') + "\"}";
        threads.emplace_back([&a, &store] {
          try {
            a.result = store.append(a.stream, expected_version::any(), a.events);
            a.acknowledged = true;
          } catch (const io_error&) {
            // The injected fault, or the failed state it left.
          }
        });
        groups.wait_until_queued(++queued);
        if (i == 0) groups.wait_until_held(static_cast<std::size_t>(w + 1));
      }
      groups.release_one();
      for (auto& t : threads) t.join();
    }
    store.close();
  } catch (const io_error&) {
    // The fault hit open or close.
  }
  return attempts;
}

// Reopens the store and checks every claim: acknowledged batches present at their positions,
// no batch partly visible, positions and versions gapless, every acknowledged batch still
// recognised as a retry, and the store accepts appends.
void verify_after_recovery(fault_file_system& fs, const store_options& options,
                           const std::vector<attempt>& attempts) {
  segment_store store(dir, options, std::shared_ptr<io::file_system>(&fs, [](auto*) {}));
  auto all = store.read_all(1, unlimited).events;
  std::map<uuid, recorded_event> by_id;
  std::map<std::string, std::uint64_t> versions;
  for (std::size_t i = 0; i < all.size(); ++i) {
    REQUIRE(all[i].position == i + 1);
    REQUIRE(all[i].stream_version == ++versions[all[i].stream_id]);
    by_id[all[i].id] = all[i];
  }
  std::size_t present_events = 0;
  for (const auto& a : attempts) {
    std::size_t present = 0;
    for (const auto& e : a.events) present += by_id.count(e.id);
    REQUIRE((present == 0 || present == a.events.size()));  // never half a batch
    if (a.acknowledged) {
      REQUIRE(present == a.events.size());
      REQUIRE(by_id[a.events[0].id].position == a.result.first_position);
    }
    present_events += present;
  }
  REQUIRE(present_events == all.size());  // nothing that was never appended
  for (const auto& a : attempts) {
    if (!a.acknowledged) continue;
    auto retry = store.append(a.stream, expected_version::any(), a.events);
    REQUIRE_FALSE(retry.written);
    REQUIRE(retry.first_position == a.result.first_position);
  }
  auto r = store.append("after", expected_version::no_stream(), make_events(2));
  REQUIRE(r.first_position == all.size() + 1);
  REQUIRE(store.read_stream("after").size() == 2);
  // The chain holds over the recovered log, and the links the cut lost are stored again: only
  // the last append's batch waits for its link.
  auto chain = detail::check_chain(store);
  INFO(chain.problem);
  REQUIRE(chain.ok());
  REQUIRE(chain.batches_without_link == 0);
  REQUIRE(chain.batches_awaiting_link == 1);
}

store_options small_segments(durability_mode mode) {
  store_options options;
  options.segment_size = 2048;
  options.durability = mode;
  options.on_warning = [](const std::string&) {};
  return options;
}

}  // namespace

TEST_CASE("a power cut at every I/O operation loses nothing acknowledged", "[crash][segment]") {
  auto mode =
      GENERATE(crash_mode::drop_unsynced, crash_mode::keep_random_prefix, crash_mode::garble_tail);
  // Sticky: the power goes just before operation n, so nothing from n on happens; otherwise
  // operation n fails, the store reacts to the error, and the power goes later.
  auto sticky = GENERATE(false, true);
  auto options = small_segments(durability_mode::sync_each_batch);
  std::uint64_t total;
  {
    fault_file_system fs;
    run_workload(fs, options, true);
    total = fs.operations();
  }
  REQUIRE(total > 50);
  for (std::uint64_t n = 1; n <= total; ++n) {
    CAPTURE(n, static_cast<int>(mode), sticky);
    fault_file_system fs;
    fs.fail_operation(n, EIO, fault_kind::fail, sticky);
    auto attempts = run_workload(fs, options, true);
    fs.crash(mode, n);
    fs.clear_faults();
    verify_after_recovery(fs, options, attempts);
  }
  std::cout << "power cut at each of " << total << " operations (crash mode "
            << static_cast<int>(mode) << (sticky ? ", before the operation" : ", after it failed")
            << "): " << total << " faults injected and recovered\n";
}

TEST_CASE(
    "a power cut at every I/O operation of grouped appends from several threads loses "
    "nothing acknowledged",
    "[crash][segment]") {
  auto mode = GENERATE(crash_mode::drop_unsynced, crash_mode::garble_tail);
  auto options = small_segments(durability_mode::sync_each_batch);
  std::uint64_t total;
  {
    fault_file_system fs;
    auto attempts = run_grouped_workload(fs, options);
    total = fs.operations();
    for (const auto& a : attempts) REQUIRE(a.acknowledged);
    verify_after_recovery(fs, options, attempts);
  }
  REQUIRE(total > 50);
  for (std::uint64_t n = 1; n <= total; ++n) {
    CAPTURE(n, static_cast<int>(mode));
    fault_file_system fs;
    fs.fail_operation(n, EIO, fault_kind::fail, true);
    auto attempts = run_grouped_workload(fs, options);
    fs.crash(mode, n);
    fs.clear_faults();
    verify_after_recovery(fs, options, attempts);
  }
  std::cout << "grouped appends, power cut before each of " << total << " operations (crash mode "
            << static_cast<int>(mode) << "): " << total << " faults injected and recovered\n";
}

TEST_CASE("a power cut after acknowledgement keeps every acknowledged batch", "[crash][segment]") {
  auto options = small_segments(durability_mode::sync_each_batch);
  for (int cut_after = 1; cut_after <= 24; ++cut_after) {
    CAPTURE(cut_after);
    fault_file_system fs;
    std::vector<attempt> attempts;
    {
      segment_store store(dir, options, std::shared_ptr<io::file_system>(&fs, [](auto*) {}));
      for (int i = 0; i < cut_after; ++i) {
        attempt a{"s" + std::to_string(i % 2), make_events(1 + i % 3), false, {}};
        a.result = store.append(a.stream, expected_version::any(), a.events);
        a.acknowledged = true;
        attempts.push_back(a);
      }
      fs.crash(crash_mode::garble_tail, static_cast<std::uint64_t>(cut_after));
      // The dead process's store object is destroyed here; its files already reverted.
    }
    fs.clear_faults();
    verify_after_recovery(fs, options, attempts);
  }
  std::cout << "power cut after each of 24 acknowledged appends: 24 power cuts recovered\n";
}

TEST_CASE("os_buffered: a process crash loses nothing acknowledged", "[crash][segment]") {
  auto options = small_segments(durability_mode::os_buffered);
  fault_file_system fs;
  std::vector<attempt> attempts;
  {
    segment_store store(dir, options, std::shared_ptr<io::file_system>(&fs, [](auto*) {}));
    for (int i = 0; i < 20; ++i) {
      attempt a{"s", make_events(2), false, {}};
      a.result = store.append(a.stream, expected_version::any(), a.events);
      a.acknowledged = true;
      attempts.push_back(a);
    }
    // A process crash (not a power cut): the files keep every write; the store is not closed.
    fs.fail_operation(1, EIO, fault_kind::fail, true);
  }
  fs.clear_faults();
  verify_after_recovery(fs, options, attempts);
}

TEST_CASE("ENOSPC or EIO at each write and sync gives a clean io_error and loses nothing",
          "[crash][segment]") {
  auto code = GENERATE(ENOSPC, EIO);
  auto kind = GENERATE(fault_kind::fail, fault_kind::short_write);
  // Sticky: every operation from the n-th on fails too, as on a full or dead disk.
  auto sticky = GENERATE(false, true);
  auto options = small_segments(durability_mode::sync_each_batch);
  std::uint64_t total;
  {
    fault_file_system fs;
    run_workload(fs, options, true);
    total = fs.operations();
  }
  for (std::uint64_t n = 1; n <= total; ++n) {
    CAPTURE(n, code, static_cast<int>(kind), sticky);
    fault_file_system fs;
    fs.fail_operation(n, code, kind, sticky);
    std::vector<attempt> attempts;
    std::string failure;
    try {
      segment_store store(dir, options, std::shared_ptr<io::file_system>(&fs, [](auto*) {}));
      for (int i = 0; i < 24; ++i) {
        attempt a{"s" + std::to_string(i % 3), make_events(1 + i % 4), false, {}};
        attempts.push_back(a);
        try {
          attempts.back().result = store.append(a.stream, expected_version::any(), a.events);
          attempts.back().acknowledged = true;
        } catch (const io_error& e) {
          failure = e.what();
          REQUIRE(e.system_code() != 0);
          // Once failed, the store stays failed until reopened: no fsync retry.
          REQUIRE_THROWS_AS(store.append("x", expected_version::any(), make_events(1)), io_error);
          REQUIRE(store.read_all(1, unlimited).events.size() == store.head_position());
          break;
        }
      }
    } catch (const io_error& e) {
      failure = e.what();  // the fault hit open or close
    }
    fs.clear_faults();
    verify_after_recovery(fs, options, attempts);
  }
  std::cout << "errno " << code << " at each of " << total << " operations (fault kind "
            << static_cast<int>(kind) << (sticky ? ", sticky" : "") << "): " << total
            << " faults injected and recovered\n";
}

namespace {

// A store of 2 KiB segments whose early, sealed segments hold events that a deletion and a
// truncation hide, followed by enough appends to seal them.
void prepare_scavenge(fault_file_system& fs, const store_options& options) {
  segment_store store(dir, options, std::shared_ptr<io::file_system>(&fs, [](auto*) {}));
  for (int i = 0; i < 24; ++i) {
    store.append("s" + std::to_string(i % 3), expected_version::any(), make_events(1 + i % 4));
  }
  store.delete_stream("s1", expected_version::any());
  store.set_stream_metadata("s2", {.truncate_before = 10});
  for (int i = 0; i < 10; ++i) store.append("tail", expected_version::any(), make_events(2));
  store.close();
}

std::vector<recorded_event> read_log(fault_file_system& fs, const store_options& options) {
  segment_store store(dir, options, std::shared_ptr<io::file_system>(&fs, [](auto*) {}));
  return store.read_all(1, unlimited).events;
}

// Scavenges until the first error; returns what the completed scavenge reported, if it did.
std::optional<scavenge_report> scavenge_once(fault_file_system& fs, const store_options& options) {
  try {
    segment_store store(dir, options, std::shared_ptr<io::file_system>(&fs, [](auto*) {}));
    auto report = scavenge(store);
    store.close();
    return report;
  } catch (const io_error&) {
    return std::nullopt;  // the injected fault
  }
}

bool hidden(const recorded_event& e) {
  return (e.stream_id == "s1" && e.type != stream_deleted_event::type) ||
         (e.stream_id == "s2" && e.stream_version < 10);
}

// Every event in its place; hidden ones intact or erased, all others unchanged byte for byte.
// Returns how many are erased.
std::size_t check_scavenged(const std::vector<recorded_event>& before,
                            const std::vector<recorded_event>& after) {
  REQUIRE(after.size() == before.size());
  std::size_t erased = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    CAPTURE(i, before[i].stream_id, before[i].stream_version);
    const auto& was = before[i];
    const auto& is = after[i];
    if (hidden(was) && is.type == "$erased") {
      ++erased;
      REQUIRE(is.position == was.position);
      REQUIRE(is.stream_id == was.stream_id);
      REQUIRE(is.stream_version == was.stream_version);
      REQUIRE(is.id == was.id);
      REQUIRE(is.timestamp == was.timestamp);
    } else {
      REQUIRE(is == was);
    }
  }
  return erased;
}

}  // namespace

TEST_CASE("a power cut at every I/O operation of a scavenge leaves each segment old or new",
          "[crash][segment][scavenge]") {
  auto mode =
      GENERATE(crash_mode::drop_unsynced, crash_mode::keep_random_prefix, crash_mode::garble_tail);
  auto options = small_segments(durability_mode::sync_each_batch);
  std::vector<recorded_event> before;
  std::size_t erasable;
  std::uint64_t total;
  {
    fault_file_system fs;
    prepare_scavenge(fs, options);
    before = read_log(fs, options);
    std::uint64_t start = fs.operations();
    auto report = scavenge_once(fs, options);
    REQUIRE(report);
    total = fs.operations() - start;
    erasable = check_scavenged(before, read_log(fs, options));
    REQUIRE(erasable == report->events_erased);
    REQUIRE(erasable > 10);
    REQUIRE(report->events_deferred == 0);  // the tail's appends sealed every hidden event
  }
  for (std::uint64_t n = 1; n <= total; ++n) {
    CAPTURE(n, static_cast<int>(mode));
    fault_file_system fs;
    prepare_scavenge(fs, options);
    auto prepared = read_log(fs, options);  // new ids and timestamps each time
    fs.fail_operation(n, EIO, fault_kind::fail, true);
    scavenge_once(fs, options);
    fs.crash(mode, n);
    fs.clear_faults();
    check_scavenged(prepared, read_log(fs, options));
    // A second scavenge finishes the work.
    REQUIRE(scavenge_once(fs, options));
    REQUIRE(check_scavenged(prepared, read_log(fs, options)) == erasable);
  }
  std::cout << "scavenge, power cut before each of " << total << " operations (crash mode "
            << static_cast<int>(mode) << "): " << total << " faults injected and recovered\n";
}

namespace {

// About half a dozen 2 KiB segments of 3 streams.
void prepare_retention(fault_file_system& fs, const store_options& options) {
  segment_store store(dir, options, std::shared_ptr<io::file_system>(&fs, [](auto*) {}));
  for (int i = 0; i < 120; ++i) {
    store.append("s" + std::to_string(i % 3), expected_version::any(), make_events(1 + i % 3));
  }
  store.close();
}

// Opens the store with a retention policy, waits for the first pass of its retention thread and
// closes it; stops at the first error.
void retain_once(fault_file_system& fs, const store_options& options) {
  std::mutex mutex;
  std::condition_variable changed;
  bool passed = false;
  detail::store_hooks hooks;
  hooks.after_retention = [&] {
    std::lock_guard lock(mutex);
    passed = true;
    changed.notify_all();
  };
  try {
    segment_store store(dir, options, std::shared_ptr<io::file_system>(&fs, [](auto*) {}), hooks);
    {
      std::unique_lock lock(mutex);
      changed.wait(lock, [&] { return passed; });
    }
    store.close();
  } catch (const io_error&) {
    // The injected fault.
  }
}

}  // namespace

TEST_CASE("a power cut at every I/O operation of retention keeps the log whole from its start",
          "[crash][segment][retention]") {
  bool archive = GENERATE(false, true);
  auto mode = GENERATE(crash_mode::drop_unsynced, crash_mode::garble_tail);
  auto plain = small_segments(durability_mode::sync_each_batch);
  if (archive) plain.segment_archive_dir = "/archive";
  auto retaining = plain;
  retaining.segment_retention_bytes = 5000;
  std::vector<recorded_event> complete;
  std::uint64_t total;
  std::uint64_t retained_start;
  {
    fault_file_system fs;
    prepare_retention(fs, plain);
    complete = read_log(fs, plain);
    std::uint64_t start = fs.operations();
    retain_once(fs, retaining);
    total = fs.operations() - start;
    auto left = read_log(fs, plain);
    REQUIRE_FALSE(left.empty());
    retained_start = left.front().position;
    if (archive) {
      REQUIRE(left == complete);
      REQUIRE(fs.list("/archive").size() > 2);
    } else {
      REQUIRE(retained_start > 1);
    }
  }
  for (std::uint64_t n = 1; n <= total; ++n) {
    CAPTURE(n, archive, static_cast<int>(mode));
    fault_file_system fs;
    prepare_retention(fs, plain);
    auto prepared = read_log(fs, plain);
    fs.fail_operation(n, EIO, fault_kind::fail, true);
    retain_once(fs, retaining);
    fs.crash(mode, n);
    fs.clear_faults();
    // Every event from the log's start on is the one stored there; archived ones are read too.
    auto left = read_log(fs, plain);
    REQUIRE_FALSE(left.empty());
    REQUIRE(left.back().position == prepared.size());
    REQUIRE(left.size() == prepared.size() - (left.front().position - 1));
    for (const auto& e : left) REQUIRE(e == prepared[e.position - 1]);
    if (archive) REQUIRE(left.front().position == 1);
    // A pass without faults finishes the work.
    retain_once(fs, retaining);
    REQUIRE(read_log(fs, plain).front().position == (archive ? 1 : retained_start));
  }
  std::cout << "retention (" << (archive ? "archive" : "delete") << "), power cut before each of "
            << total << " operations (crash mode " << static_cast<int>(mode) << "): " << total
            << " faults injected and recovered\n";
}
