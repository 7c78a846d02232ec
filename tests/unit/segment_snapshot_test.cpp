// The segment backend's snapshot files: their bytes, damage, power cuts and failed writes.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <regex>
#include <string>
#include <vector>

#include "annal/error.hpp"
#include "core/crc32c.hpp"
#include "io/fault_file_system.hpp"
#include "segment/byte_io.hpp"
#include "segment/segment_store.hpp"

using namespace annal;
using annal::io::crash_mode;
using annal::io::fault_file_system;
using annal::io::fault_kind;

namespace {

constexpr const char* dir = "/store";
constexpr const char* snapshot_dir = "/store/snapshots";
constexpr std::uint64_t fingerprint = 0x1122334455667788u;

std::shared_ptr<io::file_system> borrow(fault_file_system& fs) {
  return std::shared_ptr<io::file_system>(&fs, [](io::file_system*) {});
}

// Options whose warnings land in `warnings`.
store_options collecting(std::vector<std::string>& warnings) {
  store_options options;
  options.on_warning = [&warnings](const std::string& m) { warnings.push_back(m); };
  return options;
}

snapshot make_snapshot(std::uint64_t version, std::string stream = "order-1") {
  snapshot s;
  s.stream_id = std::move(stream);
  s.version = version;
  s.position = version * 10;
  s.aggregate_type = "order";
  s.fingerprint = fingerprint;
  s.encoding = snapshot_encoding::json;
  s.payload = fmt::format("{{\"state\":\"as of version {}\"}}", version);
  s.taken_at = std::chrono::system_clock::time_point(std::chrono::microseconds(1000 + version));
  return s;
}

// The FNV-1a 64 hash of docs/storage-format.md, written out again as the reference.
std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 14695981039346656037u;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211u;
  return h;
}

std::string file_name(std::string_view stream, std::uint64_t version, std::uint64_t fp) {
  return fmt::format("{:016x}-{:020}-{:016x}.snap", fnv1a(stream), version, fp);
}

std::vector<std::string> files_in(fault_file_system& fs, const std::string& folder) {
  auto names = fs.list(folder);
  std::sort(names.begin(), names.end());
  return names;
}

bool any_temporary(fault_file_system& fs) {
  auto names = fs.list(snapshot_dir);
  return std::any_of(names.begin(), names.end(),
                     [](const std::string& n) { return n.ends_with(".tmp"); });
}

bool any_contains(const std::vector<std::string>& messages, std::string_view text) {
  return std::any_of(messages.begin(), messages.end(),
                     [&](const std::string& m) { return m.find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE("a snapshot file holds exactly the bytes storage-format.md describes",
          "[segment][snapshots]") {
  fault_file_system fs;
  std::vector<std::string> warnings;
  segment_store store(dir, collecting(warnings), borrow(fs));
  snapshot s = make_snapshot(3);
  s.position = 17;
  s.encoding = snapshot_encoding::cbor;
  s.payload = "abc";
  s.taken_at = std::chrono::system_clock::time_point(std::chrono::microseconds(-1234567));
  store.snapshots().save(s, 1);

  std::string expected;
  segment::byte_writer w(expected);
  w.bytes("ANNALSNP");
  w.u32(1);           // format version
  w.u32(65 + 7 + 5);  // header size: fixed part, stream id, aggregate type
  w.u16(7);           // stream id
  w.bytes("order-1");
  w.u64(3);   // version
  w.u64(17);  // position
  w.u64(fingerprint);
  w.u16(5);  // aggregate type
  w.bytes("order");
  w.u8(2);                                                    // encoding: CBOR
  w.u64(static_cast<std::uint64_t>(std::int64_t{-1234567}));  // taken_us
  w.u64(3);                                                   // payload length
  w.u32(detail::crc32c(segment::as_bytes(expected)));         // header CRC
  w.bytes("abc");
  w.u32(detail::crc32c(segment::as_bytes(expected)));  // file CRC

  REQUIRE(files_in(fs, snapshot_dir) ==
          std::vector<std::string>{file_name("order-1", 3, fingerprint)});
  CHECK(fs.contents(std::string(snapshot_dir) + "/" + file_name("order-1", 3, fingerprint)) ==
        expected);
  CHECK(warnings.empty());
}

TEST_CASE("file names never contain the stream id, whatever its bytes", "[segment][snapshots]") {
  fault_file_system fs;
  std::vector<std::string> warnings;
  std::vector<std::string> ids = {"../../escape",
                                  "a/b",
                                  "/",
                                  ".",
                                  "..",
                                  " ",
                                  "x.tmp",
                                  std::string(256, '\xff'),
                                  "LOCK",
                                  "00000000000000000001.seg"};
  {
    segment_store store(dir, collecting(warnings), borrow(fs));
    for (const auto& id : ids) store.snapshots().save(make_snapshot(1, id), 1);
  }
  std::regex pattern("[0-9a-f]{16}-[0-9]{20}-[0-9a-f]{16}(-[1-9][0-9]*)?\\.snap");
  auto names = files_in(fs, snapshot_dir);
  CHECK(names.size() == ids.size());
  for (const auto& name : names) {
    CAPTURE(name);
    CHECK(std::regex_match(name, pattern));
  }
  for (const auto& name : files_in(fs, dir)) {
    CAPTURE(name);
    CHECK((name == "LOCK" || name == "MANIFEST" || name.ends_with(".seg") ||
           name.ends_with(".idx")));
  }
  segment_store store(dir, collecting(warnings), borrow(fs));
  for (const auto& id : ids)
    CHECK(*store.snapshots().load(id, fingerprint).found == make_snapshot(1, id));
  CHECK(warnings.empty());
}

TEST_CASE("a byte flipped anywhere in a snapshot file is never returned; the older one is",
          "[segment][snapshots]") {
  std::string newest_path = std::string(snapshot_dir) + "/" + file_name("order-1", 2, fingerprint);
  std::size_t size;
  {
    fault_file_system fs;
    segment_store store(dir, {}, borrow(fs));
    store.snapshots().save(make_snapshot(2), 2);
    size = fs.contents(newest_path).size();
  }
  bool damaged_while_open = GENERATE(false, true);
  for (std::size_t offset = 0; offset < size; ++offset) {
    CAPTURE(damaged_while_open, offset);
    fault_file_system fs;
    std::vector<std::string> warnings;
    {
      segment_store store(dir, collecting(warnings), borrow(fs));
      store.snapshots().save(make_snapshot(1), 2);
      store.snapshots().save(make_snapshot(2), 2);
    }
    auto flip = [&] {
      std::string bytes = fs.contents(newest_path);
      bytes[offset] = static_cast<char>(bytes[offset] ^ 0x10);
      fs.set_contents(newest_path, bytes);
    };
    if (!damaged_while_open) flip();
    // A damaged format version field reads as a newer format: such a file is left alone.
    bool looks_newer = !damaged_while_open && offset >= 8 && offset < 12;
    {
      segment_store store(dir, collecting(warnings), borrow(fs));
      if (damaged_while_open) flip();
      auto lookup = store.snapshots().load("order-1", fingerprint);
      REQUIRE(lookup.found);
      CHECK(*lookup.found == make_snapshot(1));
      CHECK(store.snapshots().count() == 1);
      REQUIRE(warnings.size() == 1);
      CHECK_THAT(warnings[0], Catch::Contains(newest_path));
      CHECK_THAT(warnings[0], Catch::Contains(looks_newer ? "format version" : "damaged"));
    }
    // Removed, so the warning is given once.
    CHECK(fs.exists(newest_path) == looks_newer);
    warnings.clear();
    segment_store store(dir, collecting(warnings), borrow(fs));
    CHECK(store.snapshots().count() == 1);
    CHECK(warnings.size() == (looks_newer ? 1u : 0u));
  }
}

TEST_CASE("a power cut during a save leaves the old or the new snapshot, never a broken one",
          "[segment][snapshots][crash]") {
  auto mode =
      GENERATE(crash_mode::drop_unsynced, crash_mode::keep_random_prefix, crash_mode::garble_tail);
  std::uint64_t total;
  {
    fault_file_system fs;
    segment_store store(dir, {}, borrow(fs));
    store.snapshots().save(make_snapshot(1), 1);
    std::uint64_t before = fs.operations();
    store.snapshots().save(make_snapshot(2), 1);
    total = fs.operations() - before;
  }
  REQUIRE(total >= 5);
  // n = total + 1: the cut comes after the save returned.
  for (std::uint64_t n = 1; n <= total + 1; ++n) {
    CAPTURE(n, static_cast<int>(mode));
    fault_file_system fs;
    bool acknowledged = false;
    {
      std::vector<std::string> ignored;  // the dead store's complaints about its files
      segment_store store(dir, collecting(ignored), borrow(fs));
      store.snapshots().save(make_snapshot(1), 1);
      fs.fail_operation(n, EIO);
      try {
        store.snapshots().save(make_snapshot(2), 1);
        acknowledged = true;
      } catch (const io_error&) {
        // The process dies here.
      }
      fs.crash(mode, n);
      fs.clear_faults();
      store.close();  // the dead process's store; its files already reverted
    }
    std::vector<std::string> warnings;
    segment_store store(dir, collecting(warnings), borrow(fs));
    auto lookup = store.snapshots().load("order-1", fingerprint);
    REQUIRE(lookup.found);
    CHECK((*lookup.found == make_snapshot(1) || *lookup.found == make_snapshot(2)));
    if (acknowledged) CHECK(*lookup.found == make_snapshot(2));
    // The removal of the old one may be lost with the cut; the next save trims it.
    CHECK(store.snapshots().count() <= 2);
    CHECK_FALSE(any_temporary(fs));
    CHECK_FALSE(any_contains(warnings, "damaged"));
    store.snapshots().save(make_snapshot(3), 1);
    CHECK(store.snapshots().count() == 1);
    CHECK(*store.snapshots().load("order-1", fingerprint).found == make_snapshot(3));
  }
}

TEST_CASE("a failed write throws io_error and leaves the previous snapshots loadable",
          "[segment][snapshots]") {
  auto kind = GENERATE(fault_kind::fail, fault_kind::short_write);
  auto code = GENERATE(ENOSPC, EIO);
  std::uint64_t total;
  {
    fault_file_system fs;
    segment_store store(dir, {}, borrow(fs));
    store.snapshots().save(make_snapshot(1), 2);
    store.snapshots().save(make_snapshot(2), 2);
    std::uint64_t before = fs.operations();
    store.snapshots().save(make_snapshot(3), 2);  // also trims version 1
    total = fs.operations() - before;
  }
  for (std::uint64_t n = 1; n <= total; ++n) {
    CAPTURE(n, code, static_cast<int>(kind));
    fault_file_system fs;
    std::vector<std::string> warnings;
    {
      segment_store store(dir, collecting(warnings), borrow(fs));
      auto& snapshots = store.snapshots();
      snapshots.save(make_snapshot(1), 2);
      snapshots.save(make_snapshot(2), 2);
      fs.fail_operation(n, code, kind);
      try {
        snapshots.save(make_snapshot(3), 2);
        FAIL("the save succeeded");
      } catch (const io_error& e) {
        CHECK(e.system_code() == code);
      }
      fs.clear_faults();
      CHECK(*snapshots.load("order-1", fingerprint, 2).found == make_snapshot(2));
      auto newest = snapshots.load("order-1", fingerprint);
      CHECK((*newest.found == make_snapshot(2) || *newest.found == make_snapshot(3)));
    }
    segment_store store(dir, collecting(warnings), borrow(fs));
    auto& snapshots = store.snapshots();
    CHECK(*snapshots.load("order-1", fingerprint, 2).found == make_snapshot(2));
    CHECK_FALSE(any_temporary(fs));
    CHECK_FALSE(any_contains(warnings, "damaged"));
    snapshots.save(make_snapshot(4), 2);
    CHECK(snapshots.count() == 2);
    CHECK(*snapshots.load("order-1", fingerprint).found == make_snapshot(4));
  }
}

TEST_CASE("a name already taken by a file this build cannot read gets a numbered variant",
          "[segment][snapshots]") {
  fault_file_system fs;
  std::vector<std::string> warnings;
  std::string taken = std::string(snapshot_dir) + "/" + file_name("order-1", 1, fingerprint);
  std::string newer = "ANNALSNP";
  segment::byte_writer(newer).u32(2);  // a future format version
  newer += "whatever a future version writes";
  fs.set_contents(taken, newer);
  {
    segment_store store(dir, collecting(warnings), borrow(fs));
    CHECK(any_contains(warnings, "format version 2"));
    CHECK(store.snapshots().count() == 0);
    store.snapshots().save(make_snapshot(1), 1);
    CHECK(*store.snapshots().load("order-1", fingerprint).found == make_snapshot(1));
  }
  CHECK(fs.contents(taken) == newer);  // left alone
  std::string numbered = taken.substr(0, taken.size() - 5) + "-1.snap";
  CHECK(fs.exists(numbered));
  warnings.clear();
  segment_store store(dir, collecting(warnings), borrow(fs));
  CHECK(warnings.size() == 1);
  CHECK(store.snapshots().count() == 1);
  CHECK(*store.snapshots().load("order-1", fingerprint).found == make_snapshot(1));
  // Retention removes the numbered file like any other.
  store.snapshots().save(make_snapshot(2), 1);
  CHECK_FALSE(fs.exists(numbered));
  CHECK(fs.exists(taken));
}

TEST_CASE("open removes temporary files and ignores files that are not snapshots",
          "[segment][snapshots]") {
  fault_file_system fs;
  std::vector<std::string> warnings;
  std::string temporary = std::string(snapshot_dir) + "/" + file_name("s", 1, 1) + ".tmp";
  std::string foreign = std::string(snapshot_dir) + "/README";
  fs.set_contents(temporary, "half a snapshot");
  fs.set_contents(foreign, "notes");
  segment_store store(dir, collecting(warnings), borrow(fs));
  CHECK_FALSE(fs.exists(temporary));
  CHECK(fs.exists(foreign));
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::Contains("README") && Catch::Contains("not a snapshot"));
  CHECK(store.snapshots().count() == 0);
}

TEST_CASE("a file whose name does not match its header is removed at open",
          "[segment][snapshots]") {
  fault_file_system fs;
  std::vector<std::string> warnings;
  {
    segment_store store(dir, collecting(warnings), borrow(fs));
    store.snapshots().save(make_snapshot(1), 1);
  }
  std::string right = std::string(snapshot_dir) + "/" + file_name("order-1", 1, fingerprint);
  std::string wrong = std::string(snapshot_dir) + "/" + file_name("order-2", 1, fingerprint);
  fs.set_contents(wrong, fs.contents(right));
  segment_store store(dir, collecting(warnings), borrow(fs));
  CHECK_FALSE(fs.exists(wrong));
  CHECK(any_contains(warnings, "does not match"));
  CHECK(store.snapshots().count() == 1);
  CHECK_FALSE(store.snapshots().load("order-2", fingerprint).found);
}
