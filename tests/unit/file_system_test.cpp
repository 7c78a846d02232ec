// Tests of the file abstraction: one behavioural suite for both backends, then the fault model.
#include "io/file_system.hpp"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "annal/error.hpp"
#include "support/fault_file_system.hpp"
#include "support/temp_dir.hpp"

using annal::io_error;
using annal::io::crash_mode;
using annal::io::fault_file_system;
using annal::io::fault_kind;
using annal::io::file;
using annal::io::file_system;
using annal::io::open_mode;

namespace {

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

std::string read_all(const file& f) {
  std::string out(static_cast<std::size_t>(f.size()), '\0');
  std::size_t n = f.read_at(0, std::as_writable_bytes(std::span(out.data(), out.size())));
  out.resize(n);
  return out;
}

std::string read_range(const file& f, std::uint64_t offset, std::size_t length) {
  std::string out(length, '\0');
  std::size_t n = f.read_at(offset, std::as_writable_bytes(std::span(out.data(), out.size())));
  out.resize(n);
  return out;
}

std::vector<std::string> sorted(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  return names;
}

// A file system under test and a directory in it that exists and is empty.
struct backend {
  std::unique_ptr<annal::test::temp_dir> temp;
  std::shared_ptr<file_system> fs;
  std::string dir;

  std::string file(const std::string& name) const { return dir + "/" + name; }
};

backend make_backend(const std::string& kind) {
  backend b;
  if (kind == "posix") {
    b.temp = std::make_unique<annal::test::temp_dir>();
    b.fs = annal::io::posix_file_system();
    b.dir = b.temp->path().string();
  } else {
    b.fs = std::make_shared<fault_file_system>();
    b.dir = "/data";
    b.fs->create_dir(b.dir);
  }
  return b;
}

template <typename Function>
int system_code_of(Function&& function) {
  try {
    function();
  } catch (const io_error& e) {
    return e.system_code();
  }
  return 0;
}

}  // namespace

// ---- Behaviour every file_system shares ------------------------------------------------------

TEST_CASE("append adds at the end and read_at returns what was appended", "[io]") {
  auto b = make_backend(GENERATE(as<std::string>{}, "posix", "fault"));
  CAPTURE(b.dir);
  auto f = b.fs->open(b.file("a"), open_mode::read_write);
  CHECK(f->size() == 0);
  f->append(bytes_of("hello "));
  f->append(bytes_of("world"));
  CHECK(f->size() == 11);
  CHECK(read_all(*f) == "hello world");
  CHECK(read_range(*f, 6, 5) == "world");
  CHECK(f->path() == b.file("a"));
}

TEST_CASE("read_at returns fewer bytes only at the end of the file", "[io]") {
  auto b = make_backend(GENERATE(as<std::string>{}, "posix", "fault"));
  auto f = b.fs->open(b.file("a"), open_mode::read_write);
  f->append(bytes_of("0123456789"));
  CHECK(read_range(*f, 7, 10) == "789");
  CHECK(read_range(*f, 10, 4).empty());
  CHECK(read_range(*f, 100, 4).empty());
}

TEST_CASE("a reopened file has its size and appends continue at its end", "[io]") {
  auto b = make_backend(GENERATE(as<std::string>{}, "posix", "fault"));
  {
    auto f = b.fs->open(b.file("a"), open_mode::read_write);
    f->append(bytes_of("abc"));
    f->sync();
  }
  auto f = b.fs->open(b.file("a"), open_mode::read_write);
  CHECK(f->size() == 3);
  f->append(bytes_of("def"));
  CHECK(read_all(*f) == "abcdef");
  auto reader = b.fs->open(b.file("a"), open_mode::read_only);
  CHECK(reader->size() == 6);
  CHECK(read_all(*reader) == "abcdef");
}

TEST_CASE("truncate cuts the file and later appends start at the new end", "[io]") {
  auto b = make_backend(GENERATE(as<std::string>{}, "posix", "fault"));
  auto f = b.fs->open(b.file("a"), open_mode::read_write);
  f->append(bytes_of("0123456789"));
  f->truncate(4);
  CHECK(f->size() == 4);
  CHECK(read_all(*f) == "0123");
  f->append(bytes_of("xy"));
  CHECK(read_all(*f) == "0123xy");
  f->sync();
  CHECK(b.fs->open(b.file("a"), open_mode::read_only)->size() == 6);
}

TEST_CASE("list names the regular files of a directory, not subdirectories", "[io]") {
  auto b = make_backend(GENERATE(as<std::string>{}, "posix", "fault"));
  CHECK(b.fs->list(b.dir).empty());
  b.fs->open(b.file("one"), open_mode::read_write);
  b.fs->open(b.file("two"), open_mode::read_write);
  b.fs->create_dir(b.file("sub"));
  b.fs->open(b.file("sub/three"), open_mode::read_write);
  CHECK(sorted(b.fs->list(b.dir)) == std::vector<std::string>{"one", "two"});
  CHECK(b.fs->list(b.file("sub")) == std::vector<std::string>{"three"});
}

TEST_CASE("listing a missing directory throws io_error with ENOENT and the path", "[io]") {
  auto b = make_backend(GENERATE(as<std::string>{}, "posix", "fault"));
  try {
    b.fs->list(b.file("missing"));
    FAIL("list did not throw");
  } catch (const io_error& e) {
    CHECK(e.system_code() == ENOENT);
    CHECK(e.path() == b.file("missing"));
  }
}

TEST_CASE("rename moves the bytes and replaces the target", "[io]") {
  auto b = make_backend(GENERATE(as<std::string>{}, "posix", "fault"));
  b.fs->open(b.file("from"), open_mode::read_write)->append(bytes_of("new"));
  b.fs->open(b.file("to"), open_mode::read_write)->append(bytes_of("old bytes"));
  b.fs->rename(b.file("from"), b.file("to"));
  b.fs->sync_dir(b.dir);
  CHECK_FALSE(b.fs->exists(b.file("from")));
  CHECK(read_all(*b.fs->open(b.file("to"), open_mode::read_only)) == "new");
  CHECK(b.fs->list(b.dir) == std::vector<std::string>{"to"});
}

TEST_CASE("renaming a missing file throws io_error with ENOENT", "[io]") {
  auto b = make_backend(GENERATE(as<std::string>{}, "posix", "fault"));
  CHECK(system_code_of([&] { b.fs->rename(b.file("nope"), b.file("x")); }) == ENOENT);
}

TEST_CASE("remove deletes a file and removing a missing file is not an error", "[io]") {
  auto b = make_backend(GENERATE(as<std::string>{}, "posix", "fault"));
  b.fs->open(b.file("a"), open_mode::read_write);
  CHECK(b.fs->exists(b.file("a")));
  b.fs->remove(b.file("a"));
  CHECK_FALSE(b.fs->exists(b.file("a")));
  CHECK_NOTHROW(b.fs->remove(b.file("a")));
  CHECK(b.fs->list(b.dir).empty());
}

TEST_CASE("exists is true for files and directories and false for missing paths", "[io]") {
  auto b = make_backend(GENERATE(as<std::string>{}, "posix", "fault"));
  CHECK(b.fs->exists(b.dir));
  CHECK_FALSE(b.fs->exists(b.file("a")));
  b.fs->open(b.file("a"), open_mode::read_write);
  CHECK(b.fs->exists(b.file("a")));
  CHECK_FALSE(b.fs->exists(b.file("a/b")));
}

TEST_CASE("create_dir creates missing parents and accepts an existing directory", "[io]") {
  auto b = make_backend(GENERATE(as<std::string>{}, "posix", "fault"));
  b.fs->create_dir(b.file("x/y/z"));
  CHECK(b.fs->exists(b.file("x/y")));
  CHECK(b.fs->exists(b.file("x/y/z")));
  CHECK_NOTHROW(b.fs->create_dir(b.file("x/y/z")));
  b.fs->open(b.file("x/y/z/f"), open_mode::read_write)->sync();
  b.fs->sync_dir(b.file("x/y/z"));
  CHECK(b.fs->list(b.file("x/y/z")) == std::vector<std::string>{"f"});
}

TEST_CASE("create_dir throws io_error when a file is in the way", "[io]") {
  auto b = make_backend(GENERATE(as<std::string>{}, "posix", "fault"));
  b.fs->open(b.file("f"), open_mode::read_write);
  CHECK(system_code_of([&] { b.fs->create_dir(b.file("f/sub")); }) != 0);
}

TEST_CASE("opening a missing file read-only throws io_error with ENOENT and the path", "[io]") {
  auto b = make_backend(GENERATE(as<std::string>{}, "posix", "fault"));
  try {
    b.fs->open(b.file("missing"), open_mode::read_only);
    FAIL("open did not throw");
  } catch (const io_error& e) {
    CHECK(e.system_code() == ENOENT);
    CHECK(e.path() == b.file("missing"));
  }
  CHECK_FALSE(b.fs->exists(b.file("missing")));
}

TEST_CASE("opening a file in a missing directory throws io_error with ENOENT", "[io]") {
  auto b = make_backend(GENERATE(as<std::string>{}, "posix", "fault"));
  CHECK(system_code_of([&] { b.fs->open(b.file("no/such"), open_mode::read_write); }) == ENOENT);
}

TEST_CASE("a read-only file refuses append, truncate and sync and stays unchanged", "[io]") {
  auto b = make_backend(GENERATE(as<std::string>{}, "posix", "fault"));
  b.fs->open(b.file("a"), open_mode::read_write)->append(bytes_of("abc"));
  auto f = b.fs->open(b.file("a"), open_mode::read_only);
  CHECK(system_code_of([&] { f->append(bytes_of("x")); }) == EBADF);
  CHECK(system_code_of([&] { f->truncate(0); }) == EBADF);
  CHECK(system_code_of([&] { f->sync(); }) == EBADF);
  CHECK(f->size() == 3);
  CHECK(read_all(*f) == "abc");
}

TEST_CASE("a second lock on the same path fails with EWOULDBLOCK until the first is released",
          "[io]") {
  auto b = make_backend(GENERATE(as<std::string>{}, "posix", "fault"));
  auto first = b.fs->lock(b.file("LOCK"));
  CHECK(b.fs->exists(b.file("LOCK")));
  try {
    b.fs->lock(b.file("LOCK"));
    FAIL("the second lock was granted");
  } catch (const io_error& e) {
    CHECK(e.system_code() == EWOULDBLOCK);
    CHECK(e.path() == b.file("LOCK"));
    CHECK(std::string(e.what()).find("locked") != std::string::npos);
  }
  CHECK_NOTHROW(b.fs->lock(b.file("OTHER")));
  first.reset();
  CHECK_NOTHROW(b.fs->lock(b.file("LOCK")));
}

TEST_CASE("sync and sync_dir succeed on a healthy file system", "[io]") {
  auto b = make_backend(GENERATE(as<std::string>{}, "posix", "fault"));
  auto f = b.fs->open(b.file("a"), open_mode::read_write);
  f->append(bytes_of("x"));
  CHECK_NOTHROW(f->sync());
  CHECK_NOTHROW(b.fs->sync_dir(b.dir));
  CHECK(system_code_of([&] { b.fs->sync_dir(b.file("missing")); }) == ENOENT);
}

TEST_CASE("readers see consistent bytes while one writer appends", "[io]") {
  auto b = make_backend(GENERATE(as<std::string>{}, "posix", "fault"));
  auto f = b.fs->open(b.file("a"), open_mode::read_write);
  constexpr int records = 2000;
  std::atomic<bool> done = false;
  std::atomic<int> mismatches = 0;
  // Record i is 8 bytes, all equal to 'a' + i % 26; a reader checks every complete record.
  std::thread reader([&] {
    while (!done.load()) {
      std::uint64_t size = f->size();
      std::string bytes = read_range(*f, 0, static_cast<std::size_t>(size));
      if (bytes.size() < size) ++mismatches;
      for (std::size_t i = 0; i + 8 <= bytes.size(); i += 8) {
        char expected = static_cast<char>('a' + (i / 8) % 26);
        if (bytes.find_first_not_of(expected, i) < i + 8) ++mismatches;
      }
    }
  });
  for (int i = 0; i < records; ++i)
    f->append(bytes_of(std::string(8, static_cast<char>('a' + i % 26))));
  done = true;
  reader.join();
  CHECK(mismatches == 0);
  CHECK(f->size() == records * 8);
}

// ---- The fault model of fault_file_system -----------------------------------------------------

namespace {

constexpr const char* dir = "/d";

// A file "/d/f" that durably exists and holds `synced`, followed by unsynced `tail`.
void write_synced_then_unsynced(fault_file_system& fs, std::string_view synced,
                                std::string_view tail) {
  fs.create_dir(dir);
  auto f = fs.open("/d/f", open_mode::read_write);
  f->append(bytes_of(synced));
  f->sync();
  fs.sync_dir(dir);
  f->append(bytes_of(tail));
}

}  // namespace

TEST_CASE("crash drop_unsynced removes every byte appended after the last sync", "[io][fault]") {
  fault_file_system fs;
  write_synced_then_unsynced(fs, "durable", "-lost");
  CHECK(fs.contents("/d/f") == "durable-lost");
  fs.crash(crash_mode::drop_unsynced);
  CHECK(fs.contents("/d/f") == "durable");
}

TEST_CASE("synced bytes of a dir-synced file survive every crash mode", "[io][fault]") {
  auto mode =
      GENERATE(crash_mode::drop_unsynced, crash_mode::keep_random_prefix, crash_mode::garble_tail);
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    CAPTURE(static_cast<int>(mode), seed);
    fault_file_system fs;
    write_synced_then_unsynced(fs, "durable", "");
    fs.crash(mode, seed);
    REQUIRE(fs.contents("/d/f") == "durable");
  }
}

TEST_CASE("a file created but whose directory was not synced disappears at a crash",
          "[io][fault]") {
  fault_file_system fs;
  fs.create_dir(dir);
  auto f = fs.open("/d/new", open_mode::read_write);
  f->append(bytes_of("data"));
  f->sync();
  CHECK(fs.exists("/d/new"));
  fs.crash(crash_mode::keep_random_prefix, 7);
  CHECK_FALSE(fs.exists("/d/new"));
  CHECK(fs.list(dir).empty());
  CHECK(fs.exists(dir));
}

TEST_CASE("a created file survives a crash once its directory is synced", "[io][fault]") {
  fault_file_system fs;
  fs.create_dir(dir);
  fs.open("/d/new", open_mode::read_write);
  fs.sync_dir(dir);
  fs.crash(crash_mode::drop_unsynced);
  CHECK(fs.list(dir) == std::vector<std::string>{"new"});
  CHECK(fs.contents("/d/new").empty());
}

TEST_CASE("a rename not followed by sync_dir is undone by a crash", "[io][fault]") {
  fault_file_system fs;
  fs.set_contents("/d/tmp", "new");
  fs.set_contents("/d/target", "old");
  fs.rename("/d/tmp", "/d/target");
  CHECK(fs.contents("/d/target") == "new");
  fs.crash(crash_mode::drop_unsynced);
  CHECK(fs.contents("/d/target") == "old");
  CHECK(fs.contents("/d/tmp") == "new");
}

TEST_CASE("a rename followed by sync_dir survives a crash", "[io][fault]") {
  fault_file_system fs;
  fs.set_contents("/d/tmp", "new");
  fs.set_contents("/d/target", "old");
  fs.rename("/d/tmp", "/d/target");
  fs.sync_dir(dir);
  fs.crash(crash_mode::drop_unsynced);
  CHECK(fs.contents("/d/target") == "new");
  CHECK_FALSE(fs.exists("/d/tmp"));
}

TEST_CASE("a remove not followed by sync_dir is undone by a crash", "[io][fault]") {
  fault_file_system fs;
  fs.set_contents("/d/a", "kept");
  fs.set_contents("/d/b", "gone");
  fs.remove("/d/a");
  fs.remove("/d/b");
  fs.sync_dir(dir);
  fs.set_contents("/d/c", "x");
  fs.remove("/d/c");
  fs.crash(crash_mode::drop_unsynced);
  CHECK(sorted(fs.list(dir)) == std::vector<std::string>{"c"});
  CHECK(fs.contents("/d/c") == "x");
}

TEST_CASE("a truncation not synced is undone by drop_unsynced", "[io][fault]") {
  fault_file_system fs;
  write_synced_then_unsynced(fs, "0123456789", "");
  auto f = fs.open("/d/f", open_mode::read_write);
  f->truncate(3);
  f->append(bytes_of("abc"));
  fs.crash(crash_mode::drop_unsynced);
  CHECK(fs.contents("/d/f") == "0123456789");
}

TEST_CASE("keep_random_prefix keeps the synced bytes and a prefix of the unsynced ones",
          "[io][fault]") {
  const std::string synced = "SYNCED";
  const std::string tail = "abcdefghijklmnopqrstuvwxyz";
  bool saw_partial = false, saw_none = false, saw_all = false;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    CAPTURE(seed);
    fault_file_system fs;
    write_synced_then_unsynced(fs, synced, tail);
    fs.crash(crash_mode::keep_random_prefix, seed);
    std::string after = fs.contents("/d/f");
    REQUIRE(after.size() >= synced.size());
    REQUIRE(after.size() <= synced.size() + tail.size());
    REQUIRE(after == (synced + tail).substr(0, after.size()));
    saw_none |= after.size() == synced.size();
    saw_all |= after.size() == synced.size() + tail.size();
    saw_partial |= after.size() > synced.size() && after.size() < synced.size() + tail.size();
  }
  CHECK(saw_none);
  CHECK(saw_all);
  CHECK(saw_partial);
}

TEST_CASE("keep_random_prefix replays unsynced truncations and appends in order", "[io][fault]") {
  std::set<std::string> outcomes;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    fault_file_system fs;
    write_synced_then_unsynced(fs, "0123456789", "");
    auto f = fs.open("/d/f", open_mode::read_write);
    f->truncate(4);
    f->append(bytes_of("ab"));
    fs.crash(crash_mode::keep_random_prefix, seed);
    outcomes.insert(fs.contents("/d/f"));
  }
  CHECK(outcomes == std::set<std::string>{"0123456789", "0123", "0123a", "0123ab"});
}

TEST_CASE("the same seed and history give the same crash outcome", "[io][fault]") {
  auto run = [](std::uint64_t seed) {
    fault_file_system fs;
    write_synced_then_unsynced(fs, "synced", std::string(100, 'u'));
    fs.crash(crash_mode::garble_tail, seed);
    return fs.contents("/d/f");
  };
  for (std::uint64_t seed = 0; seed < 20; ++seed) CHECK(run(seed) == run(seed));
}

TEST_CASE("garble_tail changes only unsynced bytes and sometimes changes them", "[io][fault]") {
  const std::string synced(64, 'S');
  const std::string tail(64, 'u');
  bool saw_garbled = false;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    CAPTURE(seed);
    fault_file_system fs;
    write_synced_then_unsynced(fs, synced, tail);
    fs.crash(crash_mode::garble_tail, seed);
    std::string after = fs.contents("/d/f");
    REQUIRE(after.size() >= synced.size());
    REQUIRE(after.size() <= synced.size() + tail.size());
    REQUIRE(after.substr(0, synced.size()) == synced);
    saw_garbled |= after.substr(synced.size()).find_first_not_of('u') != std::string::npos;
  }
  CHECK(saw_garbled);
}

TEST_CASE("files opened before a crash throw EIO on every use; new opens see the crash state",
          "[io][fault]") {
  fault_file_system fs;
  write_synced_then_unsynced(fs, "durable", "-lost");
  auto old = fs.open("/d/f", open_mode::read_write);
  auto old_reader = fs.open("/d/f", open_mode::read_only);
  fs.crash(crash_mode::drop_unsynced);
  std::string buffer(4, '\0');
  auto out = std::as_writable_bytes(std::span(buffer.data(), buffer.size()));
  CHECK(system_code_of([&] { old->append(bytes_of("x")); }) == EIO);
  CHECK(system_code_of([&] { old->sync(); }) == EIO);
  CHECK(system_code_of([&] { old->truncate(0); }) == EIO);
  CHECK(system_code_of([&] { old->size(); }) == EIO);
  CHECK(system_code_of([&] { old->read_at(0, out); }) == EIO);
  CHECK(system_code_of([&] { old_reader->read_at(0, out); }) == EIO);
  auto fresh = fs.open("/d/f", open_mode::read_write);
  CHECK(read_all(*fresh) == "durable");
  CHECK(fs.contents("/d/f") == "durable");
}

TEST_CASE("crash releases locks, and destroying a dead lock keeps the new one", "[io][fault]") {
  fault_file_system fs;
  fs.create_dir(dir);
  auto dead = fs.lock("/d/LOCK");
  fs.crash(crash_mode::drop_unsynced);
  auto alive = fs.lock("/d/LOCK");
  dead.reset();
  CHECK(system_code_of([&] { fs.lock("/d/LOCK"); }) == EWOULDBLOCK);
}

TEST_CASE(
    "operations counts appends, syncs, truncates, dir syncs, renames, removes and "
    "read-write opens, not reads",
    "[io][fault]") {
  fault_file_system fs;
  fs.create_dir(dir);
  CHECK(fs.operations() == 0);
  auto f = fs.open("/d/f", open_mode::read_write);  // 1
  f->append(bytes_of("abc"));                       // 2
  f->sync();                                        // 3
  f->truncate(1);                                   // 4
  fs.sync_dir(dir);                                 // 5
  fs.rename("/d/f", "/d/g");                        // 6
  fs.remove("/d/missing");                          // 7
  CHECK(fs.operations() == 7);
  auto r = fs.open("/d/g", open_mode::read_only);
  read_all(*r);
  r->size();
  fs.list(dir);
  fs.exists("/d/g");
  fs.contents("/d/g");
  fs.lock("/d/LOCK");
  CHECK(fs.operations() == 7);
}

TEST_CASE("fail_operation(n) fails exactly the n-th counted operation with the given errno",
          "[io][fault]") {
  auto n = GENERATE(range(1, 6));
  CAPTURE(n);
  fault_file_system fs;
  fs.create_dir(dir);
  fs.fail_operation(static_cast<std::uint64_t>(n), ENOSPC);
  std::vector<std::function<void()>> steps;
  std::unique_ptr<file> f;
  steps.push_back([&] { f = fs.open("/d/f", open_mode::read_write); });
  steps.push_back([&] {
    if (!f) f = fs.open("/d/f", open_mode::read_write);
    f->append(bytes_of("abc"));
  });
  steps.push_back([&] { f->sync(); });
  steps.push_back([&] { fs.sync_dir(dir); });
  steps.push_back([&] { fs.rename("/d/f", "/d/g"); });
  int failures = 0;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    CAPTURE(i);
    try {
      steps[i]();
      CHECK(static_cast<int>(i) + 1 != n);
    } catch (const io_error& e) {
      ++failures;
      CHECK(static_cast<int>(i) + 1 == n);
      CHECK(e.system_code() == ENOSPC);
      CHECK(std::string_view(e.what()).ends_with("': injected fault"));
      CHECK(std::string_view(e.what()).starts_with("annal: I/O error on '/d"));
    }
  }
  CHECK(failures == 1);
}

TEST_CASE("an injected append failure writes nothing and a short_write writes half",
          "[io][fault]") {
  fault_file_system fs;
  fs.create_dir(dir);
  auto f = fs.open("/d/f", open_mode::read_write);
  fs.fail_operation(1, EIO);
  CHECK(system_code_of([&] { f->append(bytes_of("0123456789")); }) == EIO);
  CHECK(f->size() == 0);
  fs.fail_operation(1, ENOSPC, fault_kind::short_write);
  CHECK(system_code_of([&] { f->append(bytes_of("0123456789")); }) == ENOSPC);
  CHECK(fs.contents("/d/f") == "01234");
  f->append(bytes_of("!"));
  CHECK(fs.contents("/d/f") == "01234!");
}

TEST_CASE("an injected sync failure makes nothing durable", "[io][fault]") {
  fault_file_system fs;
  write_synced_then_unsynced(fs, "durable", "-unsynced");
  auto f = fs.open("/d/f", open_mode::read_write);
  fs.fail_operation(1, EIO);
  CHECK(system_code_of([&] { f->sync(); }) == EIO);
  fs.crash(crash_mode::drop_unsynced);
  CHECK(fs.contents("/d/f") == "durable");
}

TEST_CASE("a sticky fault fails every counted operation from the n-th until clear_faults",
          "[io][fault]") {
  fault_file_system fs;
  fs.create_dir(dir);
  auto f = fs.open("/d/f", open_mode::read_write);
  fs.fail_operation(2, ENOSPC, fault_kind::fail, true);
  CHECK_NOTHROW(f->append(bytes_of("a")));
  for (int i = 0; i < 5; ++i) {
    CHECK(system_code_of([&] { f->append(bytes_of("b")); }) == ENOSPC);
    CHECK(system_code_of([&] { f->sync(); }) == ENOSPC);
    CHECK(system_code_of([&] { fs.sync_dir(dir); }) == ENOSPC);
  }
  CHECK(fs.contents("/d/f") == "a");
  CHECK(read_all(*fs.open("/d/f", open_mode::read_only)) == "a");
  fs.clear_faults();
  CHECK_NOTHROW(f->append(bytes_of("c")));
  CHECK(fs.contents("/d/f") == "ac");
}

TEST_CASE("clear_faults disarms a fault before it fires", "[io][fault]") {
  fault_file_system fs;
  fs.create_dir(dir);
  fs.fail_operation(1, EIO);
  fs.clear_faults();
  CHECK_NOTHROW(fs.open("/d/f", open_mode::read_write));
}

TEST_CASE("fail_operation(0) is rejected", "[io][fault]") {
  fault_file_system fs;
  CHECK_THROWS_AS(fs.fail_operation(0, EIO), annal::invalid_argument);
}

TEST_CASE("set_contents creates durable files, or unsynced ones that a crash drops",
          "[io][fault]") {
  fault_file_system fs;
  fs.set_contents("/a/b/durable", "bytes");
  fs.set_contents("/a/b/volatile", "gone", false);
  CHECK(fs.exists("/a/b"));
  CHECK(fs.contents("/a/b/volatile") == "gone");
  auto f = fs.open("/a/b/durable", open_mode::read_only);
  fs.set_contents("/a/b/durable", "edited", false);
  CHECK(read_all(*f) == "edited");
  fs.crash(crash_mode::drop_unsynced);
  CHECK(fs.contents("/a/b/durable") == "bytes");
  CHECK_FALSE(fs.exists("/a/b/volatile"));
  CHECK(system_code_of([&] { fs.contents("/a/b/volatile"); }) == ENOENT);
}

TEST_CASE("open files follow renames and removed files stay readable", "[io][fault]") {
  fault_file_system fs;
  fs.set_contents("/d/a", "abc");
  auto f = fs.open("/d/a", open_mode::read_write);
  fs.rename("/d/a", "/d/b");
  f->append(bytes_of("d"));
  CHECK(fs.contents("/d/b") == "abcd");
  fs.remove("/d/b");
  CHECK(read_all(*f) == "abcd");
}
