// Format tests of the segment backend: edit bytes of real store files and check what open does.
#include "segment/segment_format.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <span>
#include <type_traits>

#include "annal/error.hpp"
#include "annal/open_store.hpp"
#include "annal/query.hpp"
#include "annal/verify.hpp"
#include "core/chain_check.hpp"
#include "core/crc32c.hpp"
#include "segment/batch_frame.hpp"
#include "segment/segment_header.hpp"
#include "segment/tag_index_file.hpp"
#include "support/store_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace annal;
using annal::test::make_event;
using annal::test::make_events;
using annal::test::temp_dir;
namespace fs = std::filesystem;

namespace {

// A store directory with warnings captured, opened and reopened by URI.
struct segment_dir {
  temp_dir tmp;
  std::string dir = tmp.file("store");
  std::vector<std::string> warnings;
  store_options options;

  segment_dir() {
    options.on_warning = [this](const std::string& w) { warnings.push_back(w); };
  }
  std::unique_ptr<event_store> open(const std::string& query = "") {
    return open_store("segment:" + dir + (query.empty() ? "" : "?" + query), options);
  }
  std::string file(std::uint64_t base, std::string_view suffix) const {
    char name[32];
    std::snprintf(name, sizeof name, "%020llu", static_cast<unsigned long long>(base));
    return dir + "/" + name + std::string(suffix);
  }
  std::vector<std::string> segments() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() == ".seg") out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Writes 3 batches of 2 events to "s" and returns the file offsets where each frame starts, and
// the file's size (frames follow the 32-byte header back to back, each its header's length long).
std::vector<std::uint64_t> write_three_batches(segment_dir& d) {
  auto store = d.open();
  for (int i = 0; i < 3; ++i) {
    store->append("s", expected_version::any(), make_events(2));
  }
  store->close();
  auto bytes = read_file(d.file(1, ".seg"));
  std::vector<std::uint64_t> offsets;
  std::uint64_t at = segment::segment_header_size;
  while (at < bytes.size()) {
    offsets.push_back(at);
    std::uint32_t length = 0;
    for (int i = 0; i < 4; ++i) {
      length |= std::uint32_t{static_cast<std::uint8_t>(bytes[at + 4 + i])} << (8 * i);
    }
    at += segment::frame_header_size + length;
  }
  REQUIRE(offsets.size() == 3);
  offsets.push_back(bytes.size());
  return offsets;
}

bool warned(const segment_dir& d, const std::string& text) {
  return std::any_of(d.warnings.begin(), d.warnings.end(),
                     [&](const std::string& w) { return w.find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE("a frame cut off in the middle is a torn tail: truncated, logged, the rest kept",
          "[segment][format]") {
  segment_dir d;
  auto offsets = write_three_batches(d);
  fs::resize_file(d.file(1, ".seg"), offsets[2] + 20);
  fs::remove(d.file(1, ".idx"));
  auto store = d.open();
  CHECK(store->head_position() == 4);
  CHECK(warned(d, "truncated a torn tail"));
  CHECK(fs::file_size(d.file(1, ".seg")) == offsets[2]);
  CHECK(store->append("s", expected_version::exact(4), make_event()).last_position == 5);
}

TEST_CASE("a bit flipped in the last frame is a torn tail", "[segment][format]") {
  segment_dir d;
  auto offsets = write_three_batches(d);
  fs::remove(d.file(1, ".idx"));
  auto bytes = read_file(d.file(1, ".seg"));
  bytes[offsets[2] + 40] ^= 0x10;
  write_file(d.file(1, ".seg"), bytes);
  auto store = d.open();
  CHECK(store->head_position() == 4);
  CHECK(warned(d, "checksum mismatch"));
}

TEST_CASE("a bit flipped in a middle frame is corruption naming the file and offset",
          "[segment][format]") {
  segment_dir d;
  auto offsets = write_three_batches(d);
  fs::remove(d.file(1, ".idx"));
  auto bytes = read_file(d.file(1, ".seg"));
  bytes[offsets[1] + 30] ^= 0x01;
  write_file(d.file(1, ".seg"), bytes);
  try {
    d.open();
    FAIL("opened");
  } catch (const corruption& e) {
    CHECK(e.path() == d.file(1, ".seg"));
    CHECK(e.offset() == static_cast<std::int64_t>(offsets[1]));
    CHECK_THAT(e.what(), Catch::Contains("repair_by_truncation"));
  }
  CHECK(read_file(d.file(1, ".seg")) == bytes);  // a refused open changes nothing

  SECTION("repair by truncation keeps what precedes the damage") {
    auto store = d.open("repair_by_truncation=true");
    CHECK(store->head_position() == 2);
    CHECK(warned(d, "repair_by_truncation"));
    CHECK(store->append("s", expected_version::exact(2), make_event()).last_position == 3);
  }
}

TEST_CASE("a zero-filled or garbage tail is truncated", "[segment][format]") {
  segment_dir d;
  auto offsets = write_three_batches(d);
  fs::remove(d.file(1, ".idx"));
  auto bytes = read_file(d.file(1, ".seg"));
  SECTION("zeros") { bytes += std::string(8192, '\0'); }
  SECTION("garbage") {
    for (int i = 0; i < 3000; ++i) bytes.push_back(static_cast<char>(i * 131 + 7));
  }
  SECTION("zeros over the last frame") {
    std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(offsets[2]), bytes.end(), '\0');
  }
  write_file(d.file(1, ".seg"), bytes);
  auto store = d.open();
  CHECK(store->head_position() >= 4);
  CHECK(store->head_position() <= 6);
  CHECK(warned(d, "torn tail"));
  auto all = store->read_all(1, 100).events;
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(all[i].position == i + 1);
}

TEST_CASE("lost, damaged or stale index files are rebuilt from the log", "[segment][format]") {
  segment_dir d;
  {
    auto store = d.open("segment_size=2048");
    for (int i = 0; i < 40; ++i) {
      store->append("s" + std::to_string(i % 3), expected_version::any(), make_events(2));
    }
  }
  auto segments = d.segments();
  REQUIRE(segments.size() >= 3);
  std::string first_idx = segments[0].substr(0, segments[0].size() - 4) + ".idx";
  std::string second_idx = segments[1].substr(0, segments[1].size() - 4) + ".idx";
  REQUIRE(fs::exists(first_idx));
  SECTION("missing") { fs::remove(first_idx); }
  SECTION("damaged") {
    auto bytes = read_file(first_idx);
    bytes[bytes.size() / 2] ^= 0x40;
    write_file(first_idx, bytes);
  }
  SECTION("describing another segment") {
    fs::copy_file(second_idx, first_idx, fs::copy_options::overwrite_existing);
  }
  auto store = d.open("segment_size=2048");
  CHECK(warned(d, "rebuilding the index"));
  CHECK(store->head_position() == 80);
  for (int s = 0; s < 3; ++s) {
    auto events = store->read_stream("s" + std::to_string(s));
    for (std::size_t i = 0; i < events.size(); ++i) CHECK(events[i].stream_version == i + 1);
  }
  CHECK(store->read_all(1, 1000).events.size() == 80);
  CHECK(fs::exists(first_idx));
}

// Sets the header's little-endian u32 or u64 at `offset` to `value` and its checksum to match,
// as a writer of that value would have: the header is then well formed, only its content odd.
void rewrite_header_field(std::string& bytes, std::size_t offset, std::uint64_t value,
                          std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) bytes[offset + i] = static_cast<char>(value >> (8 * i));
  std::uint32_t crc = detail::crc32c(std::as_bytes(std::span(bytes.data(), 28)));
  for (std::size_t i = 0; i < 4; ++i) bytes[28 + i] = static_cast<char>(crc >> (8 * i));
}

// Opening must fail with `Error` whose message contains `text`, at file offset `offset`.
template <class Error>
void check_open_fails(segment_dir& d, const std::string& text, std::int64_t offset) {
  try {
    d.open();
    FAIL("opened");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Catch::Contains(text));
    if constexpr (std::is_same_v<Error, corruption>) CHECK(e.offset() == offset);
  }
}

TEST_CASE("a segment file of a newer format version is refused", "[segment][format]") {
  segment_dir d;
  write_three_batches(d);
  auto bytes = read_file(d.file(1, ".seg"));
  rewrite_header_field(bytes, 8, segment::format_version + 1, 4);
  write_file(d.file(1, ".seg"), bytes);
  CHECK_THROWS_AS(d.open(), unsupported_format_version);
}

TEST_CASE("a damaged segment header is corruption", "[segment][format]") {
  segment_dir d;
  write_three_batches(d);
  auto bytes = read_file(d.file(1, ".seg"));
  bytes[3] = 'X';
  write_file(d.file(1, ".seg"), bytes);
  CHECK_THROWS_AS(d.open(), corruption);
}

TEST_CASE(
    "a bit flipped in a segment header's version, size or base field is a checksum "
    "mismatch, not a misread field",
    "[segment][format]") {
  auto offset = GENERATE(8, 12, 16, 20);
  CAPTURE(offset);
  segment_dir d;
  write_three_batches(d);
  auto bytes = read_file(d.file(1, ".seg"));
  bytes[static_cast<std::size_t>(offset)] ^= 0x02;
  write_file(d.file(1, ".seg"), bytes);
  check_open_fails<corruption>(d, "segment header checksum mismatch", 0);
  // Such damage is what repair_by_truncation is for: the log is cut where the segment starts.
  auto repaired = d.open("repair_by_truncation=true");
  CHECK(repaired->head_position() == 0);
  CHECK(repaired->append("s", expected_version::no_stream(), make_event()).last_position == 1);
}

TEST_CASE("a well-formed segment header with the wrong base or size names the field",
          "[segment][format]") {
  segment_dir d;
  write_three_batches(d);
  auto original = read_file(d.file(1, ".seg"));
  auto bytes = original;
  rewrite_header_field(bytes, 16, 5, 8);
  write_file(d.file(1, ".seg"), bytes);
  check_open_fails<corruption>(d, "the header says base position 5, the file name 1", 16);
  bytes = original;
  rewrite_header_field(bytes, 12, 40, 4);
  write_file(d.file(1, ".seg"), bytes);
  check_open_fails<corruption>(d, "the segment header says it is 40 bytes", 12);
}

TEST_CASE("a store whose last segment file was deleted refuses to open and names the file",
          "[segment][format]") {
  segment_dir d;
  {
    auto store = d.open("segment_size=1024");
    for (int i = 0; i < 30; ++i) store->append("s", expected_version::any(), make_events(2));
  }
  auto segments = d.segments();
  REQUIRE(segments.size() >= 3);
  fs::remove(segments.back());
  fs::remove(fs::path(segments.back()).replace_extension(".idx"));
  check_open_fails<corruption>(
      d, "segment file " + fs::path(segments.back()).filename().string() + " is missing", -1);
  // Accepting the loss is the operator's decision.
  auto repaired = d.open("repair_by_truncation=true");
  REQUIRE(d.warnings.size() >= 1);
  CHECK_THAT(d.warnings.back(), Catch::Contains("the log ends where the files end"));
  std::uint64_t head = repaired->head_position();
  CHECK(head > 0);
  CHECK(head < 60);
  repaired->close();
  CHECK_NOTHROW(d.open());
}

TEST_CASE("a store without a manifest (an older annal's) opens and gets one", "[segment][format]") {
  segment_dir d;
  uuid first_id;
  {
    auto store = d.open("segment_size=1024");
    for (int i = 0; i < 20; ++i) store->append("s", expected_version::any(), make_events(2));
    first_id = store->store_id();
  }
  fs::remove(d.dir + "/MANIFEST");
  auto store = d.open();
  CHECK(store->head_position() == 40);
  CHECK_THAT(d.warnings.back(), Catch::Contains("has no manifest"));
  uuid id = store->store_id();
  CHECK(id != first_id);
  store->close();
  CHECK(fs::exists(d.dir + "/MANIFEST"));
  CHECK(d.open()->store_id() == id);
}

TEST_CASE("a damaged manifest is corruption; repair_by_truncation writes a new identity",
          "[segment][format]") {
  segment_dir d;
  uuid original;
  {
    auto store = d.open();
    store->append("s", expected_version::any(), make_events(2));
    original = store->store_id();
  }
  auto bytes = read_file(d.dir + "/MANIFEST");
  REQUIRE(bytes.size() == 48);
  bytes[20] ^= 0x01;
  write_file(d.dir + "/MANIFEST", bytes);
  check_open_fails<corruption>(d, "the manifest is damaged", -1);
  auto repaired = d.open("repair_by_truncation=true");
  CHECK(repaired->head_position() == 2);
  CHECK(repaired->store_id() != original);
}

TEST_CASE("a missing segment in the middle is corruption", "[segment][format]") {
  segment_dir d;
  {
    auto store = d.open("segment_size=1024");
    for (int i = 0; i < 30; ++i) store->append("s", expected_version::any(), make_events(2));
  }
  auto segments = d.segments();
  REQUIRE(segments.size() >= 3);
  fs::remove(segments[1]);
  CHECK_THROWS_WITH(d.open(), Catch::Contains("missing"));
}

TEST_CASE("segments roll at the configured size and reads cross them", "[segment][format]") {
  segment_dir d;
  auto store = d.open("segment_size=1024");
  for (int i = 0; i < 50; ++i) store->append("s", expected_version::any(), make_events(3));
  CHECK(d.segments().size() >= 5);
  for (const auto& path : d.segments()) CHECK(fs::file_size(path) <= 1024 + 512);
  auto all = store->read_all(1, unlimited).events;
  REQUIRE(all.size() == 150);
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(all[i].position == i + 1);
  auto back = store->read_stream("s", end_of_stream, read_direction::backward);
  REQUIRE(back.size() == 150);
  CHECK(back.front().stream_version == 150);
  CHECK(back.back().stream_version == 1);
  CHECK(store->read_all(77, 1).events.at(0).position == 77);
}

TEST_CASE("a second store cannot open a directory that is open", "[segment][format]") {
  segment_dir d;
  auto first = d.open();
  CHECK_THROWS_AS(d.open(), io_error);
  first->close();
  CHECK_NOTHROW(d.open());
}

TEST_CASE("a batch larger than a segment gets a segment of its own", "[segment][format]") {
  segment_dir d;
  auto store = d.open("segment_size=1024");
  store->append("s", expected_version::any(), make_events(2));
  event_data big = make_event();
  big.payload = "\"" + std::string(5000, 'b') + "\"";
  store->append("s", expected_version::any(), big);
  store->append("s", expected_version::any(), make_events(2));
  auto events = store->read_stream("s");
  REQUIRE(events.size() == 5);
  CHECK(events[2].payload == big.payload);
}

TEST_CASE("a directory holding other files and no segment is not a store and is left alone",
          "[segment][format][bad_input]") {
  segment_dir d;
  fs::create_directories(d.dir);
  write_file(d.dir + "/notes.txt", "not an event store");
  try {
    d.open();
    FAIL("opened a directory that is not a store");
  } catch (const corruption& e) {
    CHECK(e.path() == d.dir);
    CHECK_THAT(e.what(),
               Catch::Contains("not an annal segment store") && Catch::Contains("notes.txt"));
  }
  // Nothing was created: no lock file, no segment.
  CHECK(std::distance(fs::directory_iterator(d.dir), fs::directory_iterator()) == 1);
}

TEST_CASE("an empty directory, or one left with only its lock file, becomes a store",
          "[segment][format]") {
  segment_dir d;
  fs::create_directories(d.dir);
  write_file(d.dir + "/LOCK", "");
  CHECK(d.open()->append("s", expected_version::any(), make_events(1)).last_position == 1);
}

TEST_CASE("a regular file named as the store directory is refused with io_error",
          "[segment][format][bad_input]") {
  segment_dir d;
  write_file(d.dir, "a file, not a directory");
  CHECK_THROWS_AS(d.open(), io_error);
  CHECK(read_file(d.dir) == "a file, not a directory");
}

TEST_CASE("a byte changed under the query index is corruption, not a different event",
          "[segment][format][dcb][bad_input]") {
  segment_dir d;
  auto store = d.open();
  auto batch = make_events(3);
  for (auto& e : batch) e.tags = {"t"};
  store->append("s", expected_version::any(), batch);
  auto q = query::of({{.tags = {"t"}}});
  REQUIRE(store->read_events(q).events.size() == 3);  // builds the index
  // The last byte of the last event's payload, just before the frame's 32-byte link, changed in
  // place: the store reads it through its mapping of the file, or by a read.
  auto size = fs::file_size(d.file(1, ".seg"));
  std::fstream file(d.file(1, ".seg"), std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(static_cast<std::streamoff>(size - 33));
  char byte = 0;
  file.read(&byte, 1);
  byte = static_cast<char>(byte ^ 0x01);
  file.seekp(static_cast<std::streamoff>(size - 33));
  file.write(&byte, 1);
  file.close();
  CHECK_THROWS_AS(store->read_events(q), corruption);
  CHECK(store->read_events(q, 0, 2).events.size() == 2);  // the events before it read as they are
}

namespace {

// 60 batches of 3 events, each event tagged "n:<its batch>" and every third "even", in 1 KiB
// segments; then the first query, which builds the query index and writes the sealed segments'
// tag indexes. Returns the sealed segments' bases.
std::vector<std::uint64_t> write_tagged_segments(segment_dir& d) {
  auto store = d.open("segment_size=1024");
  for (int i = 0; i < 60; ++i) {
    auto batch = make_events(3);
    for (auto& e : batch) e.tags = {"n:" + std::to_string(i)};
    batch[0].tags.push_back("every");
    store->append("s" + std::to_string(i % 4), expected_version::any(), batch);
  }
  REQUIRE(store->read_events(query::of({{.tags = {"every"}}})).events.size() == 60);
  std::vector<std::uint64_t> bases;
  auto segments = d.segments();
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    bases.push_back(std::stoull(fs::path(segments[i]).stem().string()));
  }
  return bases;
}

}  // namespace

TEST_CASE("sealed segments get tag indexes, which later opens read, and rebuild when damaged",
          "[segment][format][dcb]") {
  segment_dir d;
  auto bases = write_tagged_segments(d);
  REQUIRE(bases.size() >= 5);
  for (auto base : bases) CHECK(fs::exists(d.file(base, ".tix")));
  CHECK(verify_store("segment:" + d.dir).ok());
  // One missing, one damaged, one of another size: each is rebuilt, the damaged ones with a
  // warning, and queries answer as before.
  fs::remove(d.file(bases[0], ".tix"));
  auto damaged = read_file(d.file(bases[1], ".tix"));
  damaged[damaged.size() / 2] ^= 0x20;
  write_file(d.file(bases[1], ".tix"), damaged);
  write_file(d.file(bases[2], ".tix"), read_file(d.file(bases[3], ".tix")));
  {
    auto store = d.open();
    auto every = store->read_events(query::of({{.tags = {"every"}}}));
    REQUIRE(every.events.size() == 60);
    for (std::size_t i = 0; i < 60; ++i) {
      CHECK(every.events[i].tags == std::vector<std::string>{"every", "n:" + std::to_string(i)});
      CHECK(every.events[i].stream_id == "s" + std::to_string(i % 4));
      CHECK(every.events[i].timestamp.time_since_epoch().count() != 0);
    }
    CHECK(store->read_events(query::of({{.tags = {"n:7"}}})).events.size() == 3);
  }
  for (auto base : bases) CHECK(fs::exists(d.file(base, ".tix")));
  REQUIRE(d.warnings.size() == 2);
  CHECK_THAT(d.warnings[0], Catch::Contains("rebuilding the tag index"));
  CHECK(verify_store("segment:" + d.dir).ok());
}

TEST_CASE("a store queried while empty writes its first segment's tag index at the roll",
          "[segment][format][dcb]") {
  segment_dir d;
  {
    auto store = d.open("segment_size=1024");
    CHECK(store->read_events(query::of({{.tags = {"t"}}})).events.empty());
    for (int i = 0; i < 20; ++i) {
      auto batch = make_events(3);
      for (auto& e : batch) e.tags = {"t"};
      store->append("s", expected_version::any(), batch);
    }
  }
  REQUIRE(d.segments().size() >= 2);
  CHECK(fs::exists(d.file(1, ".tix")));
  CHECK_FALSE(fs::exists(d.file(0, ".tix")));
  CHECK(d.open()->read_events(query::of({{.tags = {"t"}}})).events.size() == 60);
  CHECK(verify_store("segment:" + d.dir).ok());
  CHECK(d.warnings.empty());
}

TEST_CASE("a well-formed tag index that places or sums an event wrongly is corruption, no crash",
          "[segment][format][dcb][bad_input]") {
  segment_dir d;
  auto bases = write_tagged_segments(d);
  auto fs = io::posix_file_system();
  std::string reason;
  auto good = segment::read_tag_index(*fs, d.dir, bases[0], reason);
  REQUIRE(good);
  REQUIRE(good->batch_times.size() >= 2);
  auto every = query::of({{.tags = {"every"}}});
  SECTION("an event's place reaching into the next frame") {
    auto index = *good;
    // The last event of the first batch, moved to where the second batch's frame starts.
    std::uint64_t second = good->batch_times[1].first;
    // Frames follow each other: the second one starts where the first one's last event ends,
    // plus the first frame's 32-byte link.
    auto& moved = index.events[second - bases[0] - 1];
    moved.offset += moved.size + 32;
    moved.size = 1;
    segment::write_tag_index(*fs, d.dir, index);
    CHECK_THROWS_WITH(d.open()->read_events(query::of({{.tags = {"n:0"}}})),
                      Catch::Contains("outside its batch's frame"));
  }
  SECTION("an event's checksum") {
    auto index = *good;
    index.events[0].crc ^= 1;
    segment::write_tag_index(*fs, d.dir, index);
    auto store = d.open();
    CHECK_THROWS_WITH(store->read_events(every), Catch::Contains("delete its .tix file"));
    // Deleted, it is rebuilt from the segment.
    store.reset();
    fs::remove(d.file(bases[0], ".tix"));
    CHECK(d.open()->read_events(every).events.size() == 60);
  }
}

TEST_CASE("the first query after an open reads the tag indexes, and verify checks them",
          "[segment][format][dcb][verify]") {
  segment_dir d;
  auto bases = write_tagged_segments(d);
  // A well-formed tag index that leaves out one event's tag: derived data that lies. The query
  // index, built from it, misses the event; verify names the file.
  std::string reason;
  auto index = segment::read_tag_index(*io::posix_file_system(), d.dir, bases[0], reason);
  REQUIRE(index);
  auto& every = index->tags.at("every");
  REQUIRE(every.size() >= 1);
  std::uint64_t hidden = every.front();
  every.erase(every.begin());
  segment::write_tag_index(*io::posix_file_system(), d.dir, *index);
  {
    auto store = d.open();
    auto found = store->read_events(query::of({{.tags = {"every"}}}));
    CHECK(found.events.size() == 59);
    CHECK(found.events.front().position != hidden);
  }
  auto report = verify_store("segment:" + d.dir);
  REQUIRE_FALSE(report.ok());
  CHECK_THAT(report.problems.at(0).file, Catch::EndsWith(".tix"));
  CHECK_THAT(report.problems.at(0).message, Catch::Contains("tag index does not match"));
  // Deleted, it is rebuilt right.
  fs::remove(d.file(bases[0], ".tix"));
  CHECK(d.open()->read_events(query::of({{.tags = {"every"}}})).events.size() == 60);
  CHECK(verify_store("segment:" + d.dir).ok());
}

namespace {

// What an older annal left: write_three_batches()'s frames (no event has a type version or tags)
// under a header of format `version`. Returns the segment file's bytes.
std::string write_older_store(segment_dir& d, std::uint32_t version) {
  write_three_batches(d);
  auto bytes = read_file(d.file(1, ".seg"));
  rewrite_header_field(bytes, 8, version, 4);
  write_file(d.file(1, ".seg"), bytes);
  return bytes;
}

}  // namespace

TEST_CASE("a store of format version 1 keeps its segment and writes new events to a new one",
          "[segment][format]") {
  segment_dir d;
  auto old_bytes = write_older_store(d, 1);
  {
    auto store = d.open();
    CHECK(store->read_all(1, 10).events.size() == 6);
    auto batch = make_events(2);
    batch[1].type_version = 4;
    CHECK(store->append("s", expected_version::exact(6), batch).first_position == 7);
  }
  // The old segment was sealed as it was; the new events went to a segment of this version.
  CHECK(read_file(d.file(1, ".seg")) == old_bytes);
  CHECK(d.segments().size() == 2);
  CHECK(read_file(d.file(7, ".seg")).substr(8, 4) == std::string("\5\0\0\0", 4));
  auto store = d.open();
  auto events = store->read_all(1, 10).events;
  REQUIRE(events.size() == 8);
  CHECK(events[5].type_version == 1);
  CHECK(events[7].type_version == 4);
  store->close();
  CHECK(verify_store("segment:" + d.dir).ok());
  CHECK(d.warnings.empty());
}

TEST_CASE("a version-3 store keeps its segment and writes tagged events to a newer one",
          "[segment][format][dcb]") {
  segment_dir d;
  auto old_bytes = write_older_store(d, 3);
  {
    auto store = d.open();
    auto batch = make_events(2);
    batch[1].tags = {"course:c1"};
    CHECK(store->append("s", expected_version::exact(6), batch).first_position == 7);
    CHECK(store->read_events(query::of({{.tags = {"course:c1"}}})).events.at(0).position == 8);
  }
  CHECK(read_file(d.file(1, ".seg")) == old_bytes);
  CHECK(read_file(d.file(7, ".seg")).substr(8, 4) == std::string("\5\0\0\0", 4));
  auto store = d.open();
  auto events = store->read_all(1, 10).events;
  REQUIRE(events.size() == 8);
  CHECK(events[5].tags.empty());
  CHECK(events[7].tags == std::vector<std::string>{"course:c1"});
  CHECK(store->read_events(query::of({{.tags = {"course:c1"}}})).events.size() == 1);
  store->close();
  CHECK(verify_store("segment:" + d.dir).ok());
  CHECK(d.warnings.empty());
}

namespace {

// A version-2 segment at base 1 as an annal before the hash chain wrote it: plain batch frames
// of 2 events to "s", 1 to "t" and 1 to "s"; the second batch's payload is `t_payload`.
std::string version_2_segment(const std::string& t_payload) {
  std::string bytes = segment::encode_segment_header(1);
  rewrite_header_field(bytes, 8, 2, 4);
  segment::byte_buffer frames;
  auto frame = [&](std::string_view stream, std::uint64_t position, std::uint64_t version,
                   std::vector<event_data> events) {
    std::vector<std::string> metadata;
    segment::frame_trailer plain{.type = segment::frame_type_batch};
    auto layout = segment::layout_batch_frame(stream, events, metadata, plain);
    segment::encode_batch_frame(frames, layout, stream, position, version,
                                1'700'000'000'000'000 + static_cast<std::int64_t>(position), events,
                                metadata, plain);
  };
  auto fixed = [](std::string type, std::string payload, std::uint8_t id) {
    event_data e;
    std::array<std::uint8_t, 16> bytes{};
    bytes[0] = 0x01;
    bytes[6] = 0x70;
    bytes[8] = 0x80;
    bytes[15] = id;
    e.id = uuid(bytes);
    e.type = std::move(type);
    e.payload = std::move(payload);
    return e;
  };
  frame("s", 1, 1, {fixed("a", "{}", 1), fixed("a", "[1]", 2)});
  frame("t", 3, 1, {fixed("b", t_payload, 3)});
  frame("s", 4, 3, {fixed("a", "{\"n\":4}", 4)});
  return bytes + std::string(frames.view());
}

}  // namespace

TEST_CASE("a version-2 store, written before links, is linked from its first append on",
          "[segment][format][chain]") {
  segment_dir d;
  d.open()->close();
  write_file(d.file(1, ".seg"), version_2_segment("{\"n\":3}"));
  fs::remove(d.file(1, ".idx"));
  {
    auto store = d.open();
    REQUIRE(store->head_position() == 4);
    auto report = detail::check_chain(*store);
    CHECK(report.ok());
    CHECK(report.batches_checked == 3);
    CHECK(report.batches_without_link == 3);
    // The first append after the upgrade goes to a new segment, linked to the chain computed
    // over the older batches when the store opened.
    store->append("t", expected_version::exact(1), make_events(2));
    report = detail::check_chain(*store);
    INFO(report.problem);
    CHECK(report.ok());
    CHECK(report.batches_checked == 4);
    CHECK(report.batches_without_link == 3);
    // Its link is stored by the next append's frame.
    CHECK(report.batches_awaiting_link == 1);
    store->append("t", expected_version::exact(3), make_events(1));
    report = detail::check_chain(*store);
    CHECK(report.ok());
    CHECK(report.batches_checked == 5);
    CHECK(report.batches_without_link == 3);
    CHECK(report.batches_awaiting_link == 1);
  }
  CHECK(d.segments().size() == 2);
  CHECK(read_file(d.file(5, ".seg")).substr(8, 4) == std::string("\5\0\0\0", 4));
  CHECK(detail::check_chain(*d.open()).ok());
  // An older batch changed afterwards (its frame's checksum made good) breaks the first link.
  write_file(d.file(1, ".seg"), version_2_segment("{\"n\":33}"));
  fs::remove(d.file(1, ".idx"));
  auto report = detail::check_chain(*d.open());
  REQUIRE_FALSE(report.ok());
  CHECK(report.broken->first_position == 5);
  CHECK_THAT(report.broken->file, Catch::EndsWith("00000000000000000005.seg"));
  CHECK_THAT(report.problem, Catch::Contains("written before links were stored"));
}

TEST_CASE("an empty version-1 active segment gets a header of this version in place",
          "[segment][format]") {
  segment_dir d;
  d.open()->close();
  auto bytes = read_file(d.file(1, ".seg"));
  REQUIRE(bytes.size() == segment::segment_header_size);
  rewrite_header_field(bytes, 8, 1, 4);
  write_file(d.file(1, ".seg"), bytes);
  {
    auto store = d.open();
    CHECK(read_file(d.file(1, ".seg")).substr(8, 4) == std::string("\5\0\0\0", 4));
    auto batch = make_events(1);
    batch[0].type_version = 2;
    store->append("s", expected_version::no_stream(), batch);
  }
  CHECK(d.segments().size() == 1);
  CHECK(d.open()->read_stream("s")[0].type_version == 2);
  CHECK(d.warnings.empty());
}
