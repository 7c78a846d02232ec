// Conformance: every backend's snapshot store saves, finds, replaces, trims and drops alike.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "annal/error.hpp"
#include "support/store_fixture.hpp"

using namespace annal;
using annal::test::store_fixture;

namespace {

constexpr std::uint64_t fingerprint_a = 0xfedcba9876543210u;  // high bit set on purpose
constexpr std::uint64_t fingerprint_b = 0x0123456789abcdefu;
constexpr std::uint64_t fingerprint_c = 42;

// A snapshot at `version` whose position and payload follow from it, so a load can be checked
// against the snapshot it should return.
snapshot make_snapshot(std::string stream, std::uint64_t version,
                       std::uint64_t fingerprint = fingerprint_a, std::string type = "order") {
  snapshot s;
  s.stream_id = std::move(stream);
  s.version = version;
  s.position = version * 10;
  s.aggregate_type = std::move(type);
  s.fingerprint = fingerprint;
  s.encoding = snapshot_encoding::json;
  s.payload = "{\"version\":" + std::to_string(version) + "}";
  s.taken_at = std::chrono::system_clock::time_point(
      std::chrono::microseconds(1'700'000'000'000'000 + static_cast<std::int64_t>(version)));
  return s;
}

std::optional<std::uint64_t> found_version(const snapshot_lookup& lookup) {
  if (!lookup.found) return std::nullopt;
  return lookup.found->version;
}

}  // namespace

TEST_CASE("a new store has no snapshots", "[snapshots]") {
  store_fixture f;
  auto& snapshots = f.store().snapshots();
  CHECK(snapshots.count() == 0);
  auto lookup = snapshots.load("order-1", fingerprint_a);
  CHECK_FALSE(lookup.found);
  CHECK(lookup.mismatched == 0);
  CHECK(snapshots.drop_type("order") == 0);
}

TEST_CASE("a saved snapshot is loaded with every field unchanged", "[snapshots]") {
  store_fixture f;
  auto& snapshots = f.store().snapshots();
  snapshot binary;
  binary.stream_id = "order-1";
  binary.version = 123456789012;
  binary.position = 987654321098;
  binary.aggregate_type = "order";
  binary.fingerprint = fingerprint_a;
  binary.encoding = snapshot_encoding::cbor;
  binary.payload = std::string("\xa1\x61x\x00\xff\x80 binary", 13);
  binary.taken_at =
      std::chrono::system_clock::time_point(std::chrono::microseconds(1'712'345'678'901'234));
  snapshot empty;
  empty.stream_id = "order-2";
  empty.version = 1;
  empty.position = 1;
  empty.aggregate_type = "";
  empty.fingerprint = 0;
  empty.encoding = snapshot_encoding::json;
  empty.payload = "";
  empty.taken_at = std::chrono::system_clock::time_point(std::chrono::microseconds(-1500));
  snapshots.save(binary, 1);
  snapshots.save(empty, 1);

  auto lookup = snapshots.load("order-1", fingerprint_a);
  REQUIRE(lookup.found);
  CHECK(*lookup.found == binary);
  CHECK(lookup.mismatched == 0);
  lookup = snapshots.load("order-2", 0);
  REQUIRE(lookup.found);
  CHECK(*lookup.found == empty);
  CHECK(snapshots.count() == 2);
}

TEST_CASE("load returns the newest snapshot within max_version and max_position", "[snapshots]") {
  store_fixture f;
  auto& snapshots = f.store().snapshots();
  for (std::uint64_t v : {10, 30, 20}) snapshots.save(make_snapshot("s", v), 10);
  auto load = [&](std::uint64_t max_version, std::uint64_t max_position) {
    return found_version(snapshots.load("s", fingerprint_a, max_version, max_position));
  };
  constexpr auto any = std::numeric_limits<std::uint64_t>::max();
  CHECK(found_version(snapshots.load("s", fingerprint_a)) == 30u);
  CHECK(load(any, any) == 30u);
  CHECK(load(30, any) == 30u);  // the limits are inclusive
  CHECK(load(29, any) == 20u);
  CHECK(load(10, any) == 10u);
  CHECK(load(9, any) == std::nullopt);
  CHECK(load(any, 300) == 30u);
  CHECK(load(any, 299) == 20u);
  CHECK(load(any, 99) == std::nullopt);
  CHECK(load(25, 150) == 10u);
  CHECK(*snapshots.load("s", fingerprint_a, 29).found == make_snapshot("s", 20));
  CHECK_FALSE(snapshots.load("other", fingerprint_a).found);
}

TEST_CASE("snapshots of another fingerprint are passed over and counted", "[snapshots]") {
  store_fixture f;
  auto& snapshots = f.store().snapshots();
  snapshots.save(make_snapshot("s", 10, fingerprint_a), 10);
  snapshots.save(make_snapshot("s", 20, fingerprint_b), 10);
  snapshots.save(make_snapshot("s", 30, fingerprint_b), 10);

  auto lookup = snapshots.load("s", fingerprint_a);
  CHECK(found_version(lookup) == 10u);
  CHECK(lookup.found->fingerprint == fingerprint_a);
  CHECK(lookup.mismatched == 2);  // 20 and 30 are newer but of another schema

  lookup = snapshots.load("s", fingerprint_b);
  CHECK(found_version(lookup) == 30u);
  CHECK(lookup.mismatched == 0);  // 10 is older than the one found

  lookup = snapshots.load("s", fingerprint_c);
  CHECK_FALSE(lookup.found);
  CHECK(lookup.mismatched == 3);  // none found: every one within the limits counts

  lookup = snapshots.load("s", fingerprint_a, 25);
  CHECK(found_version(lookup) == 10u);
  CHECK(lookup.mismatched == 1);  // 30 is beyond the limit
  lookup = snapshots.load("s", fingerprint_c, std::numeric_limits<std::uint64_t>::max(), 200);
  CHECK(lookup.mismatched == 2);

  // One version may hold snapshots of several fingerprints; each is found by its own.
  snapshots.save(make_snapshot("s", 30, fingerprint_a), 10);
  CHECK(snapshots.count() == 4);
  lookup = snapshots.load("s", fingerprint_a);
  CHECK(found_version(lookup) == 30u);
  CHECK(lookup.found->fingerprint == fingerprint_a);
  CHECK(lookup.mismatched == 0);  // the other at version 30 is not newer
  CHECK(snapshots.load("s", fingerprint_b).found->fingerprint == fingerprint_b);
}

TEST_CASE("saving the same stream, version and fingerprint replaces the snapshot", "[snapshots]") {
  store_fixture f;
  auto& snapshots = f.store().snapshots();
  snapshots.save(make_snapshot("s", 5), 10);
  snapshot again = make_snapshot("s", 5);
  again.position = 77;
  again.aggregate_type = "order-v2";
  again.encoding = snapshot_encoding::cbor;
  again.payload = "replaced";
  again.taken_at += std::chrono::seconds(3);
  snapshots.save(again, 10);
  CHECK(snapshots.count() == 1);
  CHECK(*snapshots.load("s", fingerprint_a).found == again);

  f.reopen();
  auto& reopened = f.store().snapshots();
  reopened.save(make_snapshot("s", 5), 10);
  CHECK(reopened.count() == 1);
  CHECK(*reopened.load("s", fingerprint_a).found == make_snapshot("s", 5));
}

TEST_CASE("save keeps only the newest snapshots of the stream", "[snapshots]") {
  store_fixture f;
  auto& snapshots = f.store().snapshots();
  SECTION("keep = 1") {
    for (std::uint64_t v = 1; v <= 5; ++v) snapshots.save(make_snapshot("s", v), 1);
    CHECK(snapshots.count() == 1);
    CHECK(found_version(snapshots.load("s", fingerprint_a)) == 5u);
    CHECK_FALSE(snapshots.load("s", fingerprint_a, 4).found);
  }
  SECTION("keep = 3") {
    for (std::uint64_t v = 1; v <= 6; ++v) snapshots.save(make_snapshot("s", v), 3);
    CHECK(snapshots.count() == 3);
    CHECK(found_version(snapshots.load("s", fingerprint_a)) == 6u);
    CHECK(found_version(snapshots.load("s", fingerprint_a, 4)) == 4u);
    CHECK_FALSE(snapshots.load("s", fingerprint_a, 3).found);
  }
  SECTION("keep = 0 counts as 1") {
    snapshots.save(make_snapshot("s", 1), 0);
    snapshots.save(make_snapshot("s", 2), 0);
    CHECK(snapshots.count() == 1);
    CHECK(found_version(snapshots.load("s", fingerprint_a)) == 2u);
  }
  SECTION("newest by version, whatever the fingerprint") {
    snapshots.save(make_snapshot("s", 1, fingerprint_a), 1);
    snapshots.save(make_snapshot("s", 2, fingerprint_b), 1);
    CHECK(snapshots.count() == 1);
    auto lookup = snapshots.load("s", fingerprint_a);
    CHECK_FALSE(lookup.found);
    CHECK(lookup.mismatched == 1);
  }
  SECTION("an older snapshot than those kept is not kept") {
    snapshots.save(make_snapshot("s", 5), 1);
    snapshots.save(make_snapshot("s", 3), 1);
    CHECK(snapshots.count() == 1);
    CHECK(found_version(snapshots.load("s", fingerprint_a)) == 5u);
  }
  SECTION("other streams are not touched") {
    snapshots.save(make_snapshot("t", 1), 5);
    snapshots.save(make_snapshot("t", 2), 5);
    for (std::uint64_t v = 1; v <= 4; ++v) snapshots.save(make_snapshot("s", v), 1);
    CHECK(snapshots.count() == 3);
    CHECK(found_version(snapshots.load("t", fingerprint_a, 1)) == 1u);
  }
}

TEST_CASE("drop_type removes one aggregate type's snapshots and counts them", "[snapshots]") {
  store_fixture f;
  auto& snapshots = f.store().snapshots();
  for (int i = 0; i < 5; ++i) {
    std::string n = std::to_string(i);
    snapshots.save(make_snapshot("order-" + n, 1, fingerprint_a, "order"), 5);
    snapshots.save(make_snapshot("order-" + n, 2, fingerprint_a, "order"), 5);
    snapshots.save(make_snapshot("customer-" + n, 1, fingerprint_a, "customer"), 5);
  }
  // A type is dropped wherever its snapshots are, also in a stream shared with another type.
  snapshots.save(make_snapshot("customer-0", 2, fingerprint_b, "order"), 5);
  REQUIRE(snapshots.count() == 16);
  CHECK(snapshots.drop_type("order") == 11);
  CHECK(snapshots.count() == 5);
  CHECK(snapshots.drop_type("order") == 0);
  CHECK(snapshots.drop_type("orde") == 0);
  CHECK(snapshots.drop_type("no such type") == 0);
  CHECK_FALSE(snapshots.load("order-3", fingerprint_a).found);
  CHECK_FALSE(snapshots.load("customer-0", fingerprint_b).found);
  for (int i = 0; i < 5; ++i) {
    auto lookup = snapshots.load("customer-" + std::to_string(i), fingerprint_a);
    REQUIRE(lookup.found);
    CHECK(*lookup.found ==
          make_snapshot("customer-" + std::to_string(i), 1, fingerprint_a, "customer"));
  }
  f.reopen();
  CHECK(f.store().snapshots().count() == 5);
  CHECK_FALSE(f.store().snapshots().load("order-1", fingerprint_a).found);
}

TEST_CASE("snapshots survive closing and reopening the store", "[snapshots]") {
  store_fixture f;
  f.store().append("s", expected_version::any(), annal::test::make_events(3));
  {
    auto& snapshots = f.store().snapshots();
    snapshots.save(make_snapshot("s", 1, fingerprint_a), 5);
    snapshots.save(make_snapshot("s", 2, fingerprint_b), 5);
    snapshots.save(make_snapshot("s", 3, fingerprint_a), 5);
    snapshots.save(make_snapshot("t", 7, fingerprint_a, "other"), 5);
  }
  auto& snapshots = f.reopen().snapshots();
  CHECK(snapshots.count() == 4);
  auto lookup = snapshots.load("s", fingerprint_a);
  REQUIRE(lookup.found);
  CHECK(*lookup.found == make_snapshot("s", 3, fingerprint_a));
  lookup = snapshots.load("s", fingerprint_a, 2);
  CHECK(*lookup.found == make_snapshot("s", 1, fingerprint_a));
  CHECK(lookup.mismatched == 1);
  CHECK(*snapshots.load("t", fingerprint_a).found == make_snapshot("t", 7, fingerprint_a, "other"));
  // Retention after a reopen sees the snapshots stored before it.
  snapshots.save(make_snapshot("s", 4, fingerprint_a), 2);
  CHECK(snapshots.count() == 3);
  CHECK(f.store().read_stream("s").size() == 3);  // the events are untouched
}

TEST_CASE("any valid stream id works, and ids that look alike stay apart", "[snapshots]") {
  store_fixture f;
  std::vector<std::string> ids = {
      "a/b/c",
      "/",
      "../../escape",
      "..",
      ".",
      "with space",
      " leading and trailing ",
      "ünicöde-流",
      "Order-1",
      "order-1",
      "back\\slash",
      "x.tmp",
      "y.snap",
      "tab\there",
      "new\nline",
      std::string("\x01\x02\x7f\xff", 4),
      std::string(256, 'x'),
      std::string(255, 'x'),
      std::string(255, '/') + "z",
      std::string(256, '\xff'),
  };
  auto& snapshots = f.store().snapshots();
  for (const auto& id : ids) {
    snapshots.save(make_snapshot(id, 1), 2);
    snapshot second = make_snapshot(id, 2);
    second.payload = "{\"id\":" + std::to_string(id.size()) + "}";
    snapshots.save(second, 2);
  }
  auto check_all = [&](snapshot_store& store) {
    CHECK(store.count() == 2 * ids.size());
    for (const auto& id : ids) {
      CAPTURE(id);
      auto lookup = store.load(id, fingerprint_a);
      REQUIRE(lookup.found);
      CHECK(lookup.found->stream_id == id);
      CHECK(lookup.found->payload == "{\"id\":" + std::to_string(id.size()) + "}");
      auto older = store.load(id, fingerprint_a, 1);
      REQUIRE(older.found);
      CHECK(*older.found == make_snapshot(id, 1));
    }
  };
  check_all(snapshots);
  check_all(f.reopen().snapshots());
}

TEST_CASE("an invalid stream id is refused with invalid_argument", "[snapshots]") {
  store_fixture f;
  auto& snapshots = f.store().snapshots();
  for (const auto& id : {std::string(), std::string(257, 'x'), std::string("a\0b", 3)}) {
    CAPTURE(id.size());
    CHECK_THROWS_AS(snapshots.save(make_snapshot(id, 1), 1), invalid_argument);
    CHECK_THROWS_AS(snapshots.load(id, fingerprint_a), invalid_argument);
  }
  CHECK(snapshots.count() == 0);
}

TEST_CASE("count() counts the snapshots of every stream", "[snapshots]") {
  store_fixture f;
  auto& snapshots = f.store().snapshots();
  for (int stream = 0; stream < 10; ++stream) {
    for (std::uint64_t v = 1; v <= 3; ++v) {
      snapshots.save(make_snapshot("s-" + std::to_string(stream), v), 2);
    }
  }
  CHECK(snapshots.count() == 20);
  snapshots.save(make_snapshot("s-0", 3), 2);  // a replacement adds nothing
  CHECK(snapshots.count() == 20);
}

TEST_CASE("the snapshot store may be used from many threads at once", "[snapshots]") {
  store_fixture f;
  auto& snapshots = f.store().snapshots();
  constexpr int threads = 4;
  constexpr std::uint64_t saves = 25;
  std::atomic<int> wrong{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::string stream = "stream-" + std::to_string(t);
      try {
        for (std::uint64_t v = 1; v <= saves; ++v) {
          snapshots.save(make_snapshot(stream, v), 2);
          auto lookup = snapshots.load(stream, fingerprint_a);
          if (!lookup.found || !(*lookup.found == make_snapshot(stream, v))) ++wrong;
          f.store().append(stream, expected_version::any(), annal::test::make_event());
        }
      } catch (const std::exception&) {
        ++wrong;
      }
    });
  }
  for (auto& w : workers) w.join();
  CHECK(wrong == 0);
  CHECK(snapshots.count() == 2 * threads);
  CHECK(f.store().head_position() == threads * saves);
}

TEST_CASE("the snapshot store is not reachable after close", "[snapshots]") {
  store_fixture f;
  f.store().snapshots().save(make_snapshot("s", 1), 1);
  f.store().close();
  CHECK_THROWS_AS(f.store().snapshots(), store_closed);
}
