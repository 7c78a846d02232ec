// A snapshot write that fails never fails the save that triggered it: it is counted and reported.
#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "annal/open_store.hpp"
#include "annal/repository.hpp"
#include "support/temp_dir.hpp"

namespace tally {

struct added {
  static constexpr std::string_view type = "tally.added";
  int n;
};
using event = std::variant<added>;
struct state {
  long long total = 0;
};
state apply(state s, const added& e) {
  s.total += e.n;
  return s;
}

}  // namespace tally

using namespace annal;

TEST_CASE("a failed snapshot write is counted and reported, and the save succeeds", "[snapshots]") {
  test::temp_dir dir;
  std::string backend = GENERATE(std::string("segment"), std::string("sqlite"));
  CAPTURE(backend);
  std::string path = dir.file(backend == "sqlite" ? "store.db" : "store");
  auto store = open_store(backend + ":" + path);
  if (backend == "segment") {
    // The snapshot directory becomes a plain file: every snapshot write now fails.
    std::filesystem::remove_all(path + "/snapshots");
    std::ofstream(path + "/snapshots") << "in the way";
  } else {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "DROP TABLE snapshots", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  std::vector<std::string> warnings;
  repository_options options;
  options.snapshot_every = 2;
  options.on_warning = [&](const std::string& w) { warnings.push_back(w); };
  repository<tally::state, tally::event> tallies(*store, "tally", options);
  for (int i = 1; i <= 4; ++i) {
    auto result = tallies.update(
        "t", [i](const tally::state&) { return std::vector<tally::event>{tally::added{i}}; });
    CHECK(result.after.version == static_cast<std::uint64_t>(i));
  }
  CHECK(store->stream_version("tally-t") == 4);
  CHECK(tallies.stats().write_failures == 2);
  CHECK(tallies.stats().written == 0);
  // Loads may warn too (the sqlite snapshot table is gone); the two failed writes must be there.
  auto write_warnings = std::count_if(warnings.begin(), warnings.end(), [](const std::string& w) {
    return w.find("could not store a snapshot of 'tally-t'") != std::string::npos;
  });
  CHECK(write_warnings == 2);
  CHECK(tallies.load("t").state.total == 10);
}
