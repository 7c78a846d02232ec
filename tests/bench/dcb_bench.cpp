// Benchmark: conditional appends and tag queries (docs/dcb.md) as the log grows on each backend,
// each append figure as a ratio to the same store's unconditional single-event append in the same
// run.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "annal/open_store.hpp"
#include "annal/query.hpp"
#include "support/store_fixture.hpp"
#include "support/temp_dir.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
constexpr int courses = 1000;
constexpr int students = 10000;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

annal::event_data enrolment(std::uint64_t n) {
  annal::event_data e;
  e.type = "student.subscribed";
  e.payload = "{\"course\":\"c" + std::to_string(n % courses) + "\",\"student\":\"s" +
              std::to_string(n % students) + "\"}";
  e.tags = {"course:c" + std::to_string(n % courses), "student:s" + std::to_string(n % students)};
  return e;
}

// Grows the log to `size` events: enrolments spread over 1,000 courses and 10,000 students, in
// batches of 1,000 into 100 streams.
void grow(annal::event_store& store, std::uint64_t size) {
  std::uint64_t n = store.head_position();
  while (n < size) {
    std::vector<annal::event_data> batch;
    for (int i = 0; i < 1000 && n < size; ++i) batch.push_back(enrolment(n++));
    store.append("enrolments-" + std::to_string(n % 100), annal::expected_version::any(), batch);
  }
}

// Single-event appends, `count` of them, unconditional and conditional alternating in rounds of
// ten, so a drift of the disk hits both alike. A conditional append claims a new user name: its
// query (the name's tag) matches nothing, as a uniqueness check that succeeds does.
void measure_appends(annal::event_store& store, std::uint64_t size, int count) {
  double plain = 0;
  double conditional = 0;
  static int claim = 0;
  for (int round = 0; round < count / 10; ++round) {
    auto start = clock_type::now();
    for (int i = 0; i < 5; ++i) {
      store.append("plain", annal::expected_version::any(), enrolment(round * 5 + i));
    }
    plain += seconds_since(start);
    start = clock_type::now();
    for (int i = 0; i < 5; ++i) {
      std::string name = "username:u" + std::to_string(claim++);
      annal::event_data registered;
      registered.type = "user.registered";
      registered.payload = "{}";
      registered.tags = {name};
      store.append("users", annal::expected_version::any(), registered,
                   {annal::query::of({{.tags = {name}}}), 0});
    }
    conditional += seconds_since(start);
  }
  double half = count / 2.0;
  std::printf("%9llu events | append %7.0f/s | conditional append %7.0f/s | ratio %.2f\n",
              static_cast<unsigned long long>(size), half / plain, half / conditional,
              conditional / plain);
}

// Reads every event of one course (size / 1,000 of them) in pages of 1,000, best of three.
void measure_reads(annal::event_store& store, std::uint64_t size) {
  auto q = annal::query::of({{.tags = {"course:c7"}}});
  double best = 1e9;
  std::size_t read = 0;
  for (int pass = 0; pass < 3; ++pass) {
    auto start = clock_type::now();
    std::uint64_t after = 0;
    read = 0;
    for (;;) {
      auto page = store.read_events(q, after, 1000);
      read += page.events.size();
      if (page.events.size() < 1000) break;
      after = page.events.back().position;
    }
    best = std::min(best, seconds_since(start));
  }
  std::printf("%9llu events | tag query read %zu events at %.0f events/s\n",
              static_cast<unsigned long long>(size), read, read / best);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::uint64_t> sizes{100'000, 1'000'000};
  std::string only;  // --only BACKEND: that backend alone
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--10m") sizes.push_back(10'000'000);
    if (arg == "--only" && i + 1 < argc) only = argv[++i];
  }
  annal::test::temp_dir dir;
  std::vector<std::pair<std::string, std::string>> stores{
      {"sqlite", "sqlite:" + dir.file("sqlite.db")}, {"segment", "segment:" + dir.file("segment")}};
  if (const char* server = std::getenv("ANNAL_BENCH_POSTGRES")) {
    // A schema of its own, dropped first so every run starts from an empty log.
    std::string uri = server;
    uri += (uri.find('?') == std::string::npos ? "?" : "&");
    uri += "schema=annal_dcb_bench";
    annal::test::drop_postgres_schema(uri);
    stores.emplace_back("postgres", uri);
  }
  for (const auto& [backend, uri] : stores) {
    if (!only.empty() && backend != only) continue;
    auto store = annal::open_store(uri);
    std::printf("%s\n", backend.c_str());
    for (auto size : sizes) {
      grow(*store, size);
      // The first query after an open builds the segment log's query index (from the sealed
      // segments' tag indexes and a scan of the active one): timed apart, with the open, so that
      // the appends measure the check alone.
      store.reset();
      auto start = clock_type::now();
      store = annal::open_store(uri);
      double open = seconds_since(start);
      store->read_events(annal::query::of({{.tags = {"course:c0"}}}), 0, 1);
      std::printf("%9llu events | open %.3f s, then first query %.3f s\n",
                  static_cast<unsigned long long>(size), open, seconds_since(start) - open);
      measure_appends(*store, size, 200);
      measure_reads(*store, size);
    }
  }
  return 0;
}
