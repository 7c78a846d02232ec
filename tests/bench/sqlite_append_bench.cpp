// Benchmark: SQLite backend appends and reads, each as a ratio to raw SQLite doing the same I/O.
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "annal/open_store.hpp"
#include "support/temp_dir.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_of(const std::function<void()>& work) {
  auto start = clock_type::now();
  work();
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

void check(int rc, sqlite3* db) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
    std::exit(1);
  }
}

// The ceiling: the same rows written by plain SQLite with the same durability settings, into a
// table with the same shape of keys (rowid position, unique stream/version, unique id), and no
// idempotency, version or stream bookkeeping.
struct raw_sqlite {
  explicit raw_sqlite(const std::string& path) {
    check(sqlite3_open(path.c_str(), &db), db);
    check(sqlite3_exec(db,
                       "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                       "PRAGMA cache_size=-65536;"
                       "CREATE TABLE t (position INTEGER PRIMARY KEY, stream INTEGER, version "
                       "INTEGER, id BLOB UNIQUE, payload TEXT, UNIQUE(stream, version))",
                       nullptr, nullptr, nullptr),
          db);
    check(sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)", -1, &insert, nullptr),
          db);
  }
  ~raw_sqlite() {
    sqlite3_finalize(insert);
    sqlite3_close(db);
  }
  void write_batch(std::size_t rows, std::int64_t stream, const std::string& payload) {
    check(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), db);
    for (std::size_t i = 0; i < rows; ++i) {
      ++position;
      auto id = annal::uuid::v7();
      sqlite3_bind_int64(insert, 1, position);
      sqlite3_bind_int64(insert, 2, stream);
      sqlite3_bind_int64(insert, 3, position);
      sqlite3_bind_blob(insert, 4, id.bytes().data(), 16, SQLITE_TRANSIENT);
      sqlite3_bind_text(insert, 5, payload.data(), static_cast<int>(payload.size()),
                        SQLITE_TRANSIENT);
      check(sqlite3_step(insert), db);
      sqlite3_reset(insert);
    }
    check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db);
  }
  sqlite3* db = nullptr;
  sqlite3_stmt* insert = nullptr;
  std::int64_t position = 0;
};

struct result {
  const char* name;
  double events;
  double annal_seconds;
  double ceiling_seconds;
};

void report(const result& r) {
  double annal_rate = r.events / r.annal_seconds;
  double ceiling_rate = r.events / r.ceiling_seconds;
  std::printf("%-44s %10.0f events/s  ceiling %10.0f events/s  ratio %.2f\n", r.name, annal_rate,
              ceiling_rate, annal_rate / ceiling_rate);
}

std::vector<annal::event_data> batch_of(std::size_t n, const std::string& payload) {
  std::vector<annal::event_data> events(n);
  for (auto& e : events) {
    e.type = "bench.happened";
    e.payload = payload;
  }
  return events;
}

result append_case(const char* name, std::size_t batches, std::size_t batch_size,
                   std::size_t streams) {
  annal::test::temp_dir dir;
  const std::string payload(200, 'x');
  auto store = annal::open_store("sqlite:" + dir.file("annal.db"));
  raw_sqlite raw(dir.file("raw.db"));
  // Interleave the two, a slice at a time, so both see the same machine conditions.
  double annal_seconds = 0;
  double raw_seconds = 0;
  for (std::size_t b = 0; b < batches; ++b) {
    auto events = batch_of(batch_size, payload);
    std::string stream = "stream-" + std::to_string(b % streams);
    annal_seconds +=
        seconds_of([&] { store->append(stream, annal::expected_version::any(), events); });
    raw_seconds += seconds_of(
        [&] { raw.write_batch(batch_size, static_cast<std::int64_t>(b % streams), payload); });
  }
  return {name, static_cast<double>(batches * batch_size), annal_seconds, raw_seconds};
}

result read_case() {
  annal::test::temp_dir dir;
  const std::string payload(200, 'x');
  auto store = annal::open_store("sqlite:" + dir.file("annal.db"));
  raw_sqlite raw(dir.file("raw.db"));
  constexpr std::size_t total = 200000;
  for (std::size_t b = 0; b < total / 1000; ++b) {
    store->append("s" + std::to_string(b % 100), annal::expected_version::any(),
                  batch_of(1000, payload));
    raw.write_batch(1000, static_cast<std::int64_t>(b % 100), payload);
  }
  double annal_seconds = seconds_of([&] {
    std::uint64_t from = 1;
    for (;;) {
      auto slice = store->read_all(from, 4096);
      from = slice.next_position;
      if (slice.end_of_log) break;
    }
  });
  double raw_seconds = seconds_of([&] {
    sqlite3_stmt* s = nullptr;
    check(sqlite3_prepare_v2(raw.db, "SELECT position, stream, version, id, payload FROM t", -1, &s,
                             nullptr),
          raw.db);
    std::size_t bytes = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
      bytes += static_cast<std::size_t>(sqlite3_column_bytes(s, 4));
      std::string copy(reinterpret_cast<const char*>(sqlite3_column_text(s, 4)),
                       static_cast<std::size_t>(sqlite3_column_bytes(s, 4)));
      bytes += copy.size();
    }
    sqlite3_finalize(s);
    if (bytes == 0) std::exit(1);
  });
  return {"read_all, pages of 4096, 200k events", static_cast<double>(total), annal_seconds,
          raw_seconds};
}

}  // namespace

int main() {
  std::printf("annal SQLite backend vs raw SQLite (WAL, synchronous=FULL, 200-byte payloads)\n");
  report(append_case("append 1 event per commit, 1 stream", 2000, 1, 1));
  report(append_case("append 100 events per commit, 1 stream", 300, 100, 1));
  report(append_case("append 100 events per commit, 10k streams", 300, 100, 10000));
  report(append_case("append 1000 events per commit, 100 streams", 100, 1000, 100));
  report(read_case());
  return 0;
}
