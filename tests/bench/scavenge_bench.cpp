// Benchmark: a scavenge's speed against its ceiling (SQLite: raw SQLite updating the same rows;
// segment log: raw write + fdatasync of the same bytes), and what it does to the latency of
// appends running beside it.
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "annal/open_store.hpp"
#include "annal/store_admin.hpp"
#include "support/temp_dir.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
constexpr int streams = 1000;
constexpr int events_per_stream = 100;
constexpr std::size_t payload_size = 200;
// Segment log: small enough that the store's 23 MB fill many sealed segments.
constexpr std::uint64_t segment_size = 4u << 20;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

void check(int rc, sqlite3* db) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
    std::exit(1);
  }
}

std::string payload() {
  std::string p = "{\"note\":\"";
  p.append(payload_size - p.size() - 2, 'x');
  return p + "\"}";
}

// Half of the streams deleted: what a scavenge then erases.
void fill(annal::event_store& store) {
  std::vector<annal::event_data> batch(events_per_stream);
  for (int s = 0; s < streams; ++s) {
    for (auto& e : batch) {
      e.id = annal::uuid::v7();
      e.type = "bench.noted";
      e.payload = payload();
    }
    store.append("s-" + std::to_string(s), annal::expected_version::no_stream(), batch);
  }
  for (int s = 0; s < streams; s += 2) {
    store.delete_stream("s-" + std::to_string(s), annal::expected_version::any());
  }
}

// The ceiling: plain SQLite rewriting the same number of rows of the same size, one transaction
// per stream's worth, with the store's durability settings.
double raw_update_seconds(const std::string& path, std::size_t rows) {
  sqlite3* db = nullptr;
  check(sqlite3_open(path.c_str(), &db), db);
  check(sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                     "CREATE TABLE t (position INTEGER PRIMARY KEY, type TEXT, payload TEXT)",
                     nullptr, nullptr, nullptr),
        db);
  sqlite3_stmt* insert = nullptr;
  check(
      sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?1, 'bench.noted', ?2)", -1, &insert, nullptr),
      db);
  std::string p = payload();
  check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), db);
  for (std::size_t i = 1; i <= rows * 2; ++i) {
    sqlite3_bind_int64(insert, 1, static_cast<std::int64_t>(i));
    sqlite3_bind_text(insert, 2, p.data(), static_cast<int>(p.size()), SQLITE_STATIC);
    check(sqlite3_step(insert), db);
    sqlite3_reset(insert);
  }
  check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db);
  sqlite3_finalize(insert);
  sqlite3_stmt* update = nullptr;
  check(sqlite3_prepare_v2(db, "UPDATE t SET type = '$erased', payload = ?2 WHERE position = ?1",
                           -1, &update, nullptr),
        db);
  // A transaction per stream's worth, as the scavenge erases each stream in one on SQLite.
  auto start = clock_type::now();
  for (std::size_t i = 0; i < rows; ++i) {
    if (i % events_per_stream == 0) check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), db);
    sqlite3_bind_int64(update, 1, static_cast<std::int64_t>(2 * i + 1));
    sqlite3_bind_text(update, 2, "{\"type\":\"bench.noted\",\"version\":1}", -1, SQLITE_STATIC);
    check(sqlite3_step(update), db);
    sqlite3_reset(update);
    if ((i + 1) % events_per_stream == 0) {
      check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db);
    }
  }
  double seconds = seconds_since(start);
  sqlite3_finalize(update);
  sqlite3_close(db);
  return seconds;
}

// Single-event appends to another stream for `duration`, or until `stop`; their latencies in µs.
std::vector<double> append_latencies(annal::event_store& store, const std::atomic<bool>& stop,
                                     std::chrono::milliseconds duration) {
  std::vector<double> latencies;
  annal::event_data e;
  e.type = "bench.noted";
  e.payload = payload();
  auto end = clock_type::now() + duration;
  while (!stop.load() && clock_type::now() < end) {
    e.id = annal::uuid::v7();
    auto start = clock_type::now();
    store.append("live", annal::expected_version::any(), e);
    latencies.push_back(seconds_since(start) * 1e6);
  }
  std::sort(latencies.begin(), latencies.end());
  return latencies;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1))];
}

// The ceiling of a segment rewrite: the same bytes written to new files of segment_size, each
// synced with fdatasync and renamed, as the scavenge does.
double raw_rewrite_seconds(const std::string& dir, std::uint64_t bytes) {
  std::string block(1 << 20, 'x');
  auto start = clock_type::now();
  for (std::uint64_t done = 0, n = 0; done < bytes; ++n) {
    std::string path = dir + "/raw-" + std::to_string(n);
    int fd = ::open((path + ".tmp").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) std::exit(1);
    for (std::uint64_t in_file = 0; in_file < segment_size && done < bytes;) {
      auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(block.size(), bytes - done));
      if (::write(fd, block.data(), chunk) != static_cast<ssize_t>(chunk)) std::exit(1);
      in_file += chunk;
      done += chunk;
    }
    if (::fdatasync(fd) != 0 || ::close(fd) != 0) std::exit(1);
    std::filesystem::rename(path + ".tmp", path);
  }
  return seconds_since(start);
}

struct scavenge_run {
  annal::scavenge_report report;
  double seconds = 0;
  std::vector<double> idle;
  std::vector<double> during;
};

scavenge_run scavenge_while_appending(annal::event_store& store) {
  scavenge_run run;
  std::atomic<bool> stop{false};
  run.idle = append_latencies(store, stop, std::chrono::seconds(2));
  std::thread appender(
      [&] { run.during = append_latencies(store, stop, std::chrono::minutes(5)); });
  auto start = clock_type::now();
  run.report = annal::scavenge(store);
  run.seconds = seconds_since(start);
  stop = true;
  appender.join();
  return run;
}

void print_run(const scavenge_run& run) {
  const auto& r = run.report;
  std::printf("scavenge: %llu events, %.1f MB erased in %.2f s: %.0f events/s, %.1f MB/s\n",
              static_cast<unsigned long long>(r.events_erased),
              static_cast<double>(r.bytes_erased) / 1e6, run.seconds,
              static_cast<double>(r.events_erased) / run.seconds,
              static_cast<double>(r.bytes_erased) / 1e6 / run.seconds);
  std::printf("append latency, idle: p50 %.0f us, p99 %.0f us (%zu appends)\n",
              percentile(run.idle, 0.5), percentile(run.idle, 0.99), run.idle.size());
  std::printf("append latency, during the scavenge: p50 %.0f us, p99 %.0f us (%zu appends)\n",
              percentile(run.during, 0.5), percentile(run.during, 0.99), run.during.size());
}

void bench_sqlite(const annal::test::temp_dir& dir) {
  auto store = annal::open_store("sqlite:" + dir.file("store.db"));
  fill(*store);
  auto run = scavenge_while_appending(*store);
  double ceiling = raw_update_seconds(dir.file("raw.db"), run.report.events_erased);
  double rate = static_cast<double>(run.report.events_erased) / run.seconds;
  double ceiling_rate = static_cast<double>(run.report.events_erased) / ceiling;
  std::printf("SQLite scavenge of %d deleted streams of %d events (%zu-byte payloads)\n",
              streams / 2, events_per_stream, payload_size);
  print_run(run);
  std::printf("ceiling (raw UPDATE, a transaction per %d rows): %.0f events/s | ratio %.2f\n",
              events_per_stream, ceiling_rate, rate / ceiling_rate);
}

void bench_segment(const annal::test::temp_dir& dir) {
  std::string path = dir.file("segments");
  auto store =
      annal::open_store("segment:" + path + "?segment_size=" + std::to_string(segment_size));
  fill(*store);
  // Seals the segment holding the last deleted streams.
  std::vector<annal::event_data> filler(1000);
  for (int i = 0; i < 20; ++i) {
    for (auto& e : filler) {
      e.id = annal::uuid::v7();
      e.type = "bench.noted";
      e.payload = payload();
    }
    store->append("filler", annal::expected_version::any(), filler);
  }
  std::uint64_t sealed_bytes = 0;
  std::uint64_t largest_base = 0;
  std::uint64_t largest_base_size = 0;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    if (entry.path().extension() != ".seg") continue;
    auto base = std::stoull(entry.path().stem().string());
    sealed_bytes += entry.file_size();
    if (base >= largest_base) {
      largest_base = base;
      largest_base_size = entry.file_size();
    }
  }
  sealed_bytes -= largest_base_size;  // the active segment is not rewritten
  auto run = scavenge_while_appending(*store);
  double ceiling = raw_rewrite_seconds(dir.file("raw"), sealed_bytes);
  double rewrite_rate = static_cast<double>(sealed_bytes) / 1e6 / run.seconds;
  double ceiling_rate = static_cast<double>(sealed_bytes) / 1e6 / ceiling;
  std::printf("\nSegment log scavenge of the same store (%llu MiB segments)\n",
              static_cast<unsigned long long>(segment_size >> 20));
  print_run(run);
  std::printf("segments rewritten: %.1f MB in %.2f s: %.1f MB/s\n",
              static_cast<double>(sealed_bytes) / 1e6, run.seconds, rewrite_rate);
  std::printf(
      "ceiling (raw write + fdatasync + rename of %llu MiB files): %.1f MB/s | ratio %.2f\n",
      static_cast<unsigned long long>(segment_size >> 20), ceiling_rate,
      rewrite_rate / ceiling_rate);
}

}  // namespace

int main() {
  annal::test::temp_dir dir;
  std::filesystem::create_directories(dir.file("raw"));
  bench_sqlite(dir);
  bench_segment(dir);
  return 0;
}
