// verify_store(): a clean store passes; each kind of damage is reported with its location.
#include "annal/verify.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "annal/error.hpp"
#include "annal/open_store.hpp"
#include "io/file_system.hpp"
#include "segment/segment_format.hpp"
#include "segment/segment_index_file.hpp"
#include "support/raw_sqlite.hpp"
#include "support/store_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace annal;
using annal::test::make_events;
using annal::test::temp_dir;

namespace {

// Three batches in two streams, then closed (so the segment's index sidecar is written).
void fill(const std::string& uri) {
  auto store = open_store(uri);
  store->append("a", expected_version::any(), make_events(2));
  store->append("b", expected_version::any(), make_events(3));
  store->append("a", expected_version::any(), make_events(1));
  store->close();
}

void flip_byte(const std::string& path, std::uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  f.seekp(static_cast<std::streamoff>(offset));
  c = static_cast<char>(c ^ 0x40);
  f.write(&c, 1);
}

std::string segment_path(const std::string& dir, std::uint64_t base) {
  return dir + "/" + segment::segment_file_name(base);
}

// The base positions of the segment files in `dir`, in order.
std::vector<std::uint64_t> segment_bases(const std::string& dir) {
  std::vector<std::uint64_t> bases;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (auto base = segment::segment_base_of(entry.path().filename().string())) {
      bases.push_back(*base);
    }
  }
  std::sort(bases.begin(), bases.end());
  return bases;
}

bool mentions(const verify_report& r, const std::string& text) {
  for (const auto& p : r.problems) {
    if (p.message.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("clean stores of both backends verify without problems", "[verify]") {
  temp_dir dir;
  for (std::string uri : {"sqlite:" + dir.file("s.db"), "segment:" + dir.file("seg"),
                          "segment:" + dir.file("small") + "?segment_size=256"}) {
    fill(uri);
    auto report = verify_store(uri);
    INFO(uri);
    CHECK(report.ok());
    CHECK(report.events_checked == 6);
    CHECK(report.streams_checked == 2);
    CHECK(report.files_checked >= 1);
  }
  CHECK(verify_store("segment:" + dir.file("small")).files_checked > 2);
}

TEST_CASE("a damaged frame before the tail is reported with its segment file and offset",
          "[verify]") {
  temp_dir dir;
  std::string store = dir.file("seg");
  fill("segment:" + store);
  std::uint64_t offset = segment::segment_header_size;  // the first frame
  flip_byte(segment_path(store, 1), offset + segment::frame_header_size + 20);
  auto report = verify_store("segment:" + store);
  REQUIRE_FALSE(report.ok());
  const auto& p = report.problems.front();
  CHECK(p.file == segment_path(store, 1));
  CHECK(p.offset == static_cast<std::int64_t>(offset));
  CHECK(p.position == 1);
  CHECK(p.message.find("checksum") != std::string::npos);
}

TEST_CASE("a torn tail is reported: the next open would truncate it", "[verify]") {
  temp_dir dir;
  std::string store = dir.file("seg");
  fill("segment:" + store);
  std::string path = segment_path(store, 1);
  auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size - 3);
  std::filesystem::remove(store + "/" + segment::index_file_name(1));
  auto report = verify_store("segment:" + store);
  REQUIRE(report.problems.size() == 1);
  CHECK(report.problems[0].message.find("torn tail") != std::string::npos);
  CHECK(report.problems[0].position == 6);
  CHECK(report.events_checked == 5);
}

TEST_CASE("a damaged index sidecar is reported", "[verify]") {
  temp_dir dir;
  std::string store = dir.file("seg");
  fill("segment:" + store);
  std::string index = store + "/" + segment::index_file_name(1);
  flip_byte(index, 30);
  auto report = verify_store("segment:" + store);
  REQUIRE(report.problems.size() == 1);
  CHECK(report.problems[0].file == index);
  CHECK(mentions(report, "checksum mismatch"));
}

TEST_CASE("an index sidecar that disagrees with the frames is reported entry by entry",
          "[verify]") {
  temp_dir dir;
  std::string store = dir.file("seg");
  fill("segment:" + store);
  auto fs = io::posix_file_system();
  std::string reason;
  auto index = segment::read_segment_index(*fs, store, 1, reason);
  REQUIRE(index);
  index->batches[1].first_version = 7;
  index->sparse.push_back({4, index->batches[1].offset + 1});
  index->ids[2].second = 4;
  segment::write_segment_index(*fs, store, *index);
  auto report = verify_store("segment:" + store);
  CHECK(report.problems.size() == 3);
  CHECK(mentions(report, "does not match the frame there"));
  CHECK(mentions(report, "sparse entry for position 4"));
  CHECK(mentions(report, "at position 4, where the log has another event"));
  // Each problem points at its entry in the index file: header 48 bytes, sparse entries 16,
  // batches 31 plus the stream id ("a" and "b": 32), ids 24.
  std::string index_path = store + "/" + segment::index_file_name(1);
  std::vector<std::int64_t> offsets;
  for (const auto& p : report.problems) {
    CHECK(p.file == index_path);
    offsets.push_back(p.offset);
  }
  std::int64_t sparse = static_cast<std::int64_t>(index->sparse.size());
  std::int64_t ids_at = 48 + 16 * sparse + 32 * 3;
  CHECK(offsets ==
        std::vector<std::int64_t>{48 + 16 * sparse + 32, 48 + 16 * (sparse - 1), ids_at + 24 * 2});
}

TEST_CASE("an index sidecar whose tombstone flag disagrees with the frame is reported",
          "[verify]") {
  temp_dir dir;
  std::string store = dir.file("seg");
  fill("segment:" + store);
  {
    auto s = open_store("segment:" + store);
    s->delete_stream("a", expected_version::any(), deletion::hard);
  }
  auto fs = io::posix_file_system();
  std::string reason;
  auto index = segment::read_segment_index(*fs, store, 1, reason);
  REQUIRE(index);
  // The batches: a, b, a, the tombstone of a, then the metadata event of "$$a".
  REQUIRE(index->batches.size() == 5);
  REQUIRE(index->batches[3].ends_in_tombstone);
  CHECK(verify_store("segment:" + store).problems.empty());
  // A tombstone the index forgets would let appends past it; one it invents would refuse them.
  index->batches[3].ends_in_tombstone = false;
  index->batches[0].ends_in_tombstone = true;
  segment::write_segment_index(*fs, store, *index);
  auto report = verify_store("segment:" + store);
  CHECK(report.problems.size() == 2);
  CHECK(mentions(report, "does not match the frame there"));
}

TEST_CASE("a missing segment file is reported as missing positions", "[verify]") {
  temp_dir dir;
  std::string store = dir.file("seg");
  fill("segment:" + store + "?segment_size=128");
  std::vector<std::uint64_t> bases = segment_bases(store);
  REQUIRE(bases.size() >= 3);
  std::filesystem::remove(segment_path(store, bases[1]));
  auto report = verify_store("segment:" + store);
  REQUIRE_FALSE(report.ok());
  CHECK(report.problems[0].file == segment_path(store, bases[2]));
  CHECK(report.problems[0].message.find("missing") != std::string::npos);
}

TEST_CASE("a segment file missing at the end of the log is reported", "[verify]") {
  temp_dir dir;
  std::string store = dir.file("seg");
  fill("segment:" + store + "?segment_size=128");
  std::vector<std::uint64_t> bases = segment_bases(store);
  REQUIRE(bases.size() >= 3);
  std::filesystem::remove(segment_path(store, bases.back()));
  auto report = verify_store("segment:" + store);
  REQUIRE_FALSE(report.ok());
  CHECK(
      mentions(report, "segment file " + segment::segment_file_name(bases.back()) + " is missing"));
}

TEST_CASE(
    "verify reports a damaged manifest, and a store without one as written by an older "
    "annal",
    "[verify]") {
  temp_dir dir;
  std::string store = dir.file("seg");
  fill("segment:" + store);
  flip_byte(store + "/MANIFEST", 20);
  auto report = verify_store("segment:" + store);
  CHECK(mentions(report, "the manifest is damaged"));
  std::filesystem::remove(store + "/MANIFEST");
  CHECK(verify_store("segment:" + store).ok());
}

TEST_CASE("verify and open read a segment header with one decoder: same fault, same offset",
          "[verify]") {
  temp_dir dir;
  std::string store = dir.file("seg");
  fill("segment:" + store);
  flip_byte(segment_path(store, 1), 8);  // the format version field
  auto report = verify_store("segment:" + store);
  REQUIRE_FALSE(report.ok());
  CHECK(report.problems[0].message == "segment header checksum mismatch");
  CHECK(report.problems[0].offset == 0);
  try {
    open_store("segment:" + store);
    FAIL("opened");
  } catch (const corruption& e) {
    CHECK_THAT(e.what(), Catch::Contains("segment header checksum mismatch"));
    CHECK(e.offset() == 0);
  }
}

TEST_CASE("verify refuses a segment store that is open", "[verify]") {
  temp_dir dir;
  std::string uri = "segment:" + dir.file("seg");
  auto store = open_store(uri);
  CHECK_THROWS_AS(verify_store(uri), io_error);
  store->close();
  CHECK(verify_store(uri).ok());
}

TEST_CASE("gaps and version jumps in a SQLite store are reported with their positions",
          "[verify]") {
  temp_dir dir;
  std::string path = dir.file("s.db");
  fill("sqlite:" + path);
  // An operator with the sqlite3 shell can get past the append-only triggers.
  REQUIRE(test::raw_exec(path,
                         "DROP TRIGGER events_are_append_only_delete;"
                         "DELETE FROM events WHERE position = 4;") == 0);
  auto report = verify_store("sqlite:" + path);
  REQUIRE(report.problems.size() == 2);
  CHECK(report.problems[0].position == 5);
  CHECK(report.problems[0].message == "positions 4 to 4 are missing");
  CHECK(report.problems[1].position == 5);
  CHECK(report.problems[1].stream_id == "b");
  CHECK(report.problems[1].message == "stream version jumps from 1 to 3");
  CHECK(report.problems[1].file == path);

  REQUIRE(test::raw_exec(path, "UPDATE streams SET version = 9 WHERE stream_id = 'a'") == 0);
  report = verify_store("sqlite:" + path);
  REQUIRE(report.problems.size() == 3);
  CHECK(report.problems[2].stream_id == "a");
  CHECK(report.problems[2].message ==
        "the streams table says version 9, the events end at version 3");
}

TEST_CASE("a database that is not an annal store, or no file at all, is refused", "[verify]") {
  temp_dir dir;
  std::string other = dir.file("other.db");
  REQUIRE(test::raw_exec(other, "CREATE TABLE t (x)") == 0);
  auto report = verify_store("sqlite:" + other);
  REQUIRE(report.problems.size() == 1);
  CHECK(mentions(report, "not an annal store"));
  CHECK_THROWS_AS(verify_store("sqlite:" + dir.file("missing.db")), io_error);
  CHECK_FALSE(std::filesystem::exists(dir.file("missing.db")));
  CHECK_THROWS_AS(verify_store("segment:" + dir.file("missing")), io_error);
  CHECK_THROWS_AS(verify_store("nothing:x"), invalid_argument);
}
