// The segment backend's key files: durability under power cuts and failed writes, and damage.
#include "segment/segment_key_store.hpp"

#include <catch2/catch.hpp>
#include <cerrno>
#include <string>

#include "annal/codec.hpp"
#include "annal/error.hpp"
#include "annal/personal.hpp"
#include "segment/segment_store.hpp"
#include "support/fault_file_system.hpp"

using namespace annal;
using annal::detail::key_record;
using annal::detail::subject_key;
using annal::io::crash_mode;
using annal::io::fault_file_system;
using annal::segment::key_file_store;

namespace {

constexpr const char* key_dir = "/store/keys";

std::shared_ptr<io::file_system> borrow(fault_file_system& fs) {
  return std::shared_ptr<io::file_system>(&fs, [](io::file_system*) {});
}

std::string bytes_of(const subject_key& key) {
  return std::string(reinterpret_cast<const char*>(key.bytes().data()), key.bytes().size());
}

struct registered {
  static constexpr std::string_view type = "customer.registered";
  static constexpr std::string_view subject_field = "customer_id";
  std::string customer_id;
  personal<std::string> email;
};
using codec = event_codec<std::variant<registered>>;

}  // namespace

TEST_CASE("a key is durable when create returns, and a failed create leaves none or all",
          "[segment][keys]") {
  fault_file_system probe;
  key_file_store(key_dir, borrow(probe)).create("c-1", subject_key::random());
  std::uint64_t operations = probe.operations();
  REQUIRE(operations >= 3);
  for (std::uint64_t n = 1; n <= operations + 1; ++n) {
    for (auto mode : {crash_mode::drop_unsynced, crash_mode::garble_tail}) {
      fault_file_system fs;
      fs.create_dir(key_dir);
      subject_key key = subject_key::random();
      bool created = false;
      fs.fail_operation(fs.operations() + n, EIO);
      try {
        key_file_store(key_dir, borrow(fs)).create("c-1", key);
        created = true;
      } catch (const io_error&) {
      }
      fs.crash(mode, n);
      fs.clear_faults();
      key_record found = key_file_store(key_dir, borrow(fs)).find("c-1");
      if (created) REQUIRE(found.status == key_record::state::live);
      if (found.status == key_record::state::live) CHECK(found.key.bytes() == key.bytes());
      CHECK(fs.list(key_dir).size() == (found.status == key_record::state::live ? 1u : 0u));
    }
  }
}

TEST_CASE("forget replaces the key file by a marker holding no key bytes", "[segment][keys]") {
  fault_file_system fs;
  key_file_store keys(key_dir, borrow(fs));
  subject_key key = subject_key::random();
  REQUIRE(keys.create("c-1", key).status == key_record::state::live);
  CHECK(fs.contents(keys.path_of("c-1")).find(bytes_of(key)) != std::string::npos);
  CHECK(keys.forget("c-1") == key_record::state::live);
  fs.crash(crash_mode::drop_unsynced);
  key_file_store reopened(key_dir, borrow(fs));
  CHECK(reopened.find("c-1").status == key_record::state::forgotten);
  CHECK(fs.contents(reopened.path_of("c-1")).find(bytes_of(key)) == std::string::npos);
  // A forgotten subject keeps its marker: create gives it no new key.
  CHECK(reopened.create("c-1", subject_key::random()).status == key_record::state::forgotten);
  CHECK(reopened.forget("c-1") == key_record::state::forgotten);
  CHECK(reopened.forget("c-2") == key_record::state::absent);
}

TEST_CASE("a torn, damaged or misplaced key file is a clear error, never a key",
          "[segment][keys]") {
  fault_file_system fs;
  key_file_store keys(key_dir, borrow(fs));
  keys.create("c-1", subject_key::random());
  keys.create("c-2", subject_key::random());
  std::string path = keys.path_of("c-1");
  std::string good = fs.contents(path);
  auto expect_damage = [&](const std::string& bytes, const char* why) {
    fs.set_contents(path, bytes);
    try {
      keys.find("c-1");
      FAIL("found");
    } catch (const corruption& e) {
      CHECK(e.path() == path);
      CHECK_THAT(e.what(), Catch::Contains("subject 'c-1'") && Catch::Contains(why));
    }
  };
  expect_damage(good.substr(0, good.size() / 2), "checksum");
  expect_damage(good.substr(0, 5), "torn");
  std::string flipped = good;
  flipped[good.size() - 10] ^= 0x01;
  expect_damage(flipped, "checksum");
  expect_damage(fs.contents(keys.path_of("c-2")), "another subject");
  // The damage is reported, not repaired away: the other key still reads.
  CHECK(keys.find("c-2").status == key_record::state::live);
  CHECK_THROWS_AS(keys.create("c-1", subject_key::random()), corruption);
}

TEST_CASE("personal data is sealed at rest in the segment files and snapshots", "[segment][keys]") {
  fault_file_system fs;
  {
    segment_store store("/store", {}, borrow(fs));
    store.append("customer-c-1", expected_version::any(),
                 codec::encode(registered{"c-1", std::string("ada@example.com")}));
    CHECK(codec::decode_as<registered>(store.read_stream("customer-c-1")[0]).email.value() ==
          "ada@example.com");
    store.close();
  }
  for (const auto& name : fs.list("/store")) {
    CHECK(fs.contents("/store/" + name).find("ada@example.com") == std::string::npos);
  }
  {
    segment_store store("/store", {}, borrow(fs));
    store.forget("c-1");
    CHECK(codec::decode_as<registered>(store.read_stream("customer-c-1")[0]).email.erased());
  }
}
