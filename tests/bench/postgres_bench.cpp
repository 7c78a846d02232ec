// Benchmark: the PostgreSQL backend beside raw libpq ceilings measured in the same run.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "annal/error.hpp"
#include "annal/open_store.hpp"
#include "postgres/connection.hpp"
#include "postgres/event_rows.hpp"

namespace {

namespace pg = annal::pg;
using annal::event_data;
using annal::expected_version;
using clock_type = std::chrono::steady_clock;

constexpr std::size_t batch_size = 1000;
constexpr std::size_t page_size = 4096;
constexpr int many_threads = 16;
// How long each case of the single-event appends runs, over all its rounds.
constexpr auto timed_run = std::chrono::seconds(4);

// The base URI of the server, from ANNAL_BENCH_POSTGRES.
std::string server;

// A 200-byte JSON document, the payload of every event.
const std::string& payload() {
  static const std::string p = "{\"data\":\"" + std::string(189, 'x') + "\"}";
  return p;
}

double seconds_of(const std::function<void()>& work) {
  auto start = clock_type::now();
  work();
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

void report(const std::string& name, double rate, const std::string& ceiling_name,
            double ceiling_rate) {
  std::printf("%-50s %9.0f ev/s | %-26s %9.0f ev/s | ratio %5.2f\n", name.c_str(), rate,
              ceiling_name.c_str(), ceiling_rate, rate / ceiling_rate);
  std::fflush(stdout);
}

void report_ceiling(const std::string& name, double rate) {
  std::printf("%-50s %9.0f ev/s\n", name.c_str(), rate);
  std::fflush(stdout);
}

void fail(const std::string& message) {
  std::fprintf(stderr, "postgres_bench: %s\n", message.c_str());
  std::exit(1);
}

std::string with_query(const std::string& uri, const std::string& option) {
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") + option;
}

// A schema of this process's own, dropped with everything in it when the case ends, so that
// runs sharing a server do not meet.
class scratch_schema {
 public:
  explicit scratch_schema(const std::string& name)
      : name_("bench_" + std::to_string(::getpid()) + "_" + name), admin_(server) {
    admin_.exec("DROP SCHEMA IF EXISTS " + pg::quote_identifier(name_) + " CASCADE");
  }
  ~scratch_schema() {
    try {
      admin_.exec("DROP SCHEMA IF EXISTS " + pg::quote_identifier(name_) + " CASCADE");
    } catch (const annal::error& e) {
      std::fprintf(stderr, "postgres_bench: cannot drop schema %s: %s\n", name_.c_str(), e.what());
    }
  }
  scratch_schema(const scratch_schema&) = delete;
  scratch_schema& operator=(const scratch_schema&) = delete;

  // An annal store whose tables live in this schema.
  std::string store_uri() const { return with_query(server, "schema=" + name_); }

  // Creates a table of the shape of annal's events table here; returns its qualified name.
  std::string create_events_table() {
    std::string table = pg::quote_identifier(name_) + ".events";
    admin_.exec("CREATE SCHEMA " + pg::quote_identifier(name_) + "; CREATE TABLE " + table +
                " (position bigint PRIMARY KEY, stream_id text COLLATE \"C\", stream_version "
                "bigint, type text COLLATE \"C\", event_id uuid UNIQUE, recorded_at timestamptz, "
                "metadata jsonb, payload json, payload_bytes bytea, type_version integer NOT NULL, "
                "tags text[] COLLATE \"C\", UNIQUE (stream_id, stream_version))");
    return table;
  }

 private:
  std::string name_;
  pg::connection admin_;
};

// Writes and reads rows shaped like annal's events with plain SQL on a connection of its own:
// the ceilings. Positions come from a counter shared by every writer of the table; stream
// versions are counted per writer, so writers of one table must use streams of their own.
class raw_table_client {
 public:
  raw_table_client(std::string table, std::atomic<std::int64_t>& positions)
      : conn_(server),
        table_(std::move(table)),
        copy_sql_("COPY " + table_ + " (" + pg::event_columns + ") FROM STDIN (FORMAT binary)"),
        positions_(positions) {}

  // One binary COPY of `rows` rows, in a transaction of its own, encoded as the store encodes
  // its appends.
  void copy_batch(const std::string& stream, std::size_t rows) {
    auto position = positions_.fetch_add(static_cast<std::int64_t>(rows)) + 1;
    auto& version = versions_[stream];
    auto now = pg::to_timestamptz(std::chrono::system_clock::now());
    pg::copy_buffer data;
    for (std::size_t i = 0; i < rows; ++i) {
      data.add(static_cast<std::uint64_t>(position++), stream,
               static_cast<std::uint64_t>(++version), event_type, annal::uuid::v7(), now, {},
               annal::payload_encoding::json, payload(), 1, {});
    }
    conn_.copy_in(copy_sql_.c_str(), data.finish());
  }

  // One INSERT of `rows` rows with binary parameters, in a transaction of its own: a prepared
  // statement, or one the server parses and plans each time.
  enum class statement { prepared, parsed };
  void insert_rows(const std::string& stream, std::size_t rows,
                   statement kind = statement::prepared) {
    auto position = positions_.fetch_add(static_cast<std::int64_t>(rows)) + 1;
    auto& version = versions_[stream];
    auto now = pg::to_timestamptz(std::chrono::system_clock::now());
    ids_.resize(rows);
    params_.clear();
    for (auto& id : ids_) {
      id = annal::uuid::v7();
      params_.push_back(pg::param::int8(position++));
      params_.emplace_back(stream);
      params_.push_back(pg::param::int8(++version));
      params_.emplace_back(event_type);
      params_.emplace_back(std::string_view(reinterpret_cast<const char*>(id.bytes().data()), 16));
      params_.push_back(pg::param::int8(now));
      params_.emplace_back();  // metadata: NULL, as the store writes an event without any
      params_.emplace_back(payload());
      params_.emplace_back();                 // payload_bytes: NULL
      params_.push_back(pg::param::int8(1));  // type_version
      params_.emplace_back();                 // tags: NULL
    }
    if (kind == statement::parsed) {
      conn_.query(insert_sql(rows).c_str(), params_.data(), static_cast<int>(params_.size()));
      return;
    }
    std::vector<const char*> values(params_.size());
    std::vector<int> lengths(params_.size());
    std::vector<int> formats(params_.size(), 1);
    for (std::size_t i = 0; i < params_.size(); ++i) {
      values[i] = params_[i].data();
      lengths[i] = params_[i].size();
    }
    check(PQexecPrepared(conn_.handle(), prepared_insert(rows).c_str(),
                         static_cast<int>(params_.size()), values.data(), lengths.data(),
                         formats.data(), 1));
  }

  // Reads every row in position order, a page at a time as a reader of the log would, and copies
  // each column out; returns the number of rows.
  std::size_t read_all() {
    std::string sql = std::string("SELECT ") + pg::event_columns + " FROM " + table_ +
                      " WHERE position >= $1 ORDER BY position LIMIT " + std::to_string(page_size);
    std::vector<std::string> columns;
    std::size_t total = 0;
    std::int64_t from = 0;
    for (;;) {
      auto page = conn_.query(sql.c_str(), {pg::param::int8(from)});
      for (int row = 0; row < page.rows(); ++row) {
        columns.clear();
        for (int column = 0; column < 9; ++column) columns.emplace_back(page.bytes(row, column));
      }
      total += static_cast<std::size_t>(page.rows());
      if (page.rows() < static_cast<int>(page_size)) return total;
      from = page.int8(page.rows() - 1, 0) + 1;
    }
  }

 private:
  static constexpr std::string_view event_type = "bench.happened";

  // The text of an INSERT of `rows` rows.
  std::string insert_sql(std::size_t rows) const {
    std::string sql = "INSERT INTO " + table_ + " (" + pg::event_columns + ") VALUES ";
    for (std::size_t row = 0; row < rows; ++row) {
      auto p = [&](int column) { return "$" + std::to_string(row * 11 + column); };
      sql += (row == 0 ? "(" : ",(") + p(1) + "::bigint," + p(2) + "::text," + p(3) + "::bigint," +
             p(4) + "::text," + p(5) + "::uuid," + p(6) + "::timestamptz," + p(7) + "::jsonb," +
             p(8) + "::json," + p(9) + "::bytea," + p(10) + "::bigint::integer," + p(11) +
             "::text[])";
    }
    return sql;
  }

  // The name of a prepared INSERT of `rows` rows, prepared on first use: the server parses and
  // plans it once per connection, as a client that cares about speed would arrange.
  std::string prepared_insert(std::size_t rows) {
    std::string name = "insert_" + std::to_string(rows);
    if (prepared_.insert(rows).second) {
      check(PQprepare(conn_.handle(), name.c_str(), insert_sql(rows).c_str(), 0, nullptr));
    }
    return name;
  }

  void check(PGresult* r) {
    pg::result owned(r);
    if (r == nullptr || PQresultStatus(r) != PGRES_COMMAND_OK) {
      fail("PostgreSQL at " + conn_.name() + ": " +
           (r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(conn_.handle())));
    }
  }

  pg::connection conn_;
  std::string table_;
  std::string copy_sql_;
  std::atomic<std::int64_t>& positions_;
  std::unordered_map<std::string, std::int64_t> versions_;
  std::unordered_set<std::size_t> prepared_;
  std::vector<annal::uuid> ids_;
  std::vector<pg::param> params_;
};

// Steps done and the time they took, summed over the rounds of a case.
struct throughput {
  double steps = 0;
  double seconds = 0;
  double rate() const { return steps / seconds; }
};

// Runs step(t) over and over on threads t = 0..threads-1 for `duration`, all starting together,
// and adds the steps and the time to `total`. An exception in a step ends the run and is
// rethrown here.
void run_threads(int threads, clock_type::duration duration, const std::function<void(int)>& step,
                 throughput& total) {
  std::atomic<bool> go{false};
  std::atomic<bool> failed{false};
  std::atomic<std::size_t> steps{0};
  std::exception_ptr error;
  clock_type::time_point stop;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      while (!go) std::this_thread::yield();
      std::size_t n = 0;
      try {
        while (!failed && clock_type::now() < stop) {
          step(t);
          ++n;
        }
      } catch (...) {
        if (!failed.exchange(true)) error = std::current_exception();
      }
      steps += n;
    });
  }
  auto start = clock_type::now();
  stop = start + duration;
  go = true;
  for (auto& w : workers) w.join();
  if (error) std::rethrow_exception(error);
  total.steps += static_cast<double>(steps);
  total.seconds += std::chrono::duration<double>(clock_type::now() - start).count();
}

std::vector<event_data> events_of(std::size_t n) {
  std::vector<event_data> events(n);
  for (auto& e : events) {
    e.type = "bench.happened";
    e.payload = payload();
  }
  return events;
}

// (a), (b) and (d): batches of 1000 rows by raw COPY, raw multi-row INSERT (prepared, and parsed
// each time) and annal's append(), interleaved in slices so that all see the same server and disk
// conditions.
void batched_appends() {
  constexpr std::size_t batches = 240;
  constexpr std::size_t streams = 100;
  scratch_schema raw_schema("raw_batches");
  std::atomic<std::int64_t> positions{0};
  raw_table_client raw(raw_schema.create_events_table(), positions);
  scratch_schema store_schema("store_batches");
  auto store = annal::open_store(store_schema.store_uri());
  std::vector<std::vector<event_data>> data(batches);
  for (auto& batch : data) batch = events_of(batch_size);
  // Each writes batch b to one of `streams` streams; the one that starts a slice rotates.
  struct writer {
    std::function<void(std::size_t b)> write;
    double seconds = 0;
    double rate() const { return static_cast<double>(batches * batch_size) / seconds; }
  };
  auto stream = [](const char* prefix, std::size_t b) {
    return prefix + std::to_string(b % streams);
  };
  writer copy{[&](std::size_t b) { raw.copy_batch(stream("copy-", b), batch_size); }};
  writer insert{[&](std::size_t b) { raw.insert_rows(stream("insert-", b), batch_size); }};
  writer parsed{[&](std::size_t b) {
    raw.insert_rows(stream("parsed-", b), batch_size, raw_table_client::statement::parsed);
  }};
  writer append{[&](std::size_t b) {
    store->append(stream("stream-", b), expected_version::any(), data[b]);
  }};
  std::vector<writer*> writers{&copy, &insert, &parsed, &append};
  constexpr std::size_t slices = 12;
  for (std::size_t s = 0; s < slices; ++s) {
    for (std::size_t k = 0; k < writers.size(); ++k) {
      writer& w = *writers[(s + k) % writers.size()];
      w.seconds += seconds_of([&] {
        for (std::size_t b = batches * s / slices; b < batches * (s + 1) / slices; ++b) w.write(b);
      });
    }
  }
  if (store->head_position() != batches * batch_size) fail("the store lost events");
  report_ceiling("(a) raw binary COPY, 1000 rows/transaction", copy.rate());
  report("(b) raw multi-row INSERT, 1000 rows/transaction", insert.rate(), "(a) raw COPY",
         copy.rate());
  report("    the same, parsed and planned each time", parsed.rate(), "(a) raw COPY", copy.rate());
  report("(d) append(), 1000 events/batch, 100 streams", append.rate(), "(b) raw multi-row INSERT",
         insert.rate());
  report("", append.rate(), "(a) raw COPY", copy.rate());
}

// (c) and (e): single events, each its own transaction, from 1 and from 16 threads. The five
// cases run in rounds, the one that starts a round rotating, so that all see the same disk.
void single_event_appends() {
  struct raw_clients {
    explicit raw_clients(int threads) : schema("raw_single_" + std::to_string(threads)) {
      std::string table = schema.create_events_table();
      for (int t = 0; t < threads; ++t) {
        clients.push_back(std::make_unique<raw_table_client>(table, positions));
      }
    }
    void step(int t) {
      clients[static_cast<std::size_t>(t)]->insert_rows("client-" + std::to_string(t), 1);
    }
    scratch_schema schema;
    std::atomic<std::int64_t> positions{0};
    std::vector<std::unique_ptr<raw_table_client>> clients;
  };
  struct appenders {
    appenders(const std::string& name, int threads, int store_count)
        : schema(name), events(static_cast<std::size_t>(threads), events_of(1)[0]) {
      // One after the other: the first creates the schema's tables.
      for (int s = 0; s < store_count; ++s) stores.push_back(annal::open_store(schema.store_uri()));
    }
    void step(int t) {
      auto& event = events[static_cast<std::size_t>(t)];
      event.id = annal::uuid::v7();
      stores[static_cast<std::size_t>(t) % stores.size()]->append("appender-" + std::to_string(t),
                                                                  expected_version::any(), event);
    }
    scratch_schema schema;
    std::vector<event_data> events;
    std::vector<std::unique_ptr<annal::event_store>> stores;
  };
  raw_clients raw_one(1);
  raw_clients raw_many(many_threads);
  appenders one("one_thread", 1, 1);
  appenders shared("shared_store", many_threads, 1);
  appenders separate("separate_stores", many_threads, many_threads);
  struct timed_case {
    int threads;
    std::function<void(int)> step;
    throughput done;
  };
  std::vector<timed_case> cases{
      {1, [&](int t) { raw_one.step(t); }, {}},
      {many_threads, [&](int t) { raw_many.step(t); }, {}},
      {1, [&](int t) { one.step(t); }, {}},
      {many_threads, [&](int t) { shared.step(t); }, {}},
      {many_threads, [&](int t) { separate.step(t); }, {}},
  };
  constexpr int rounds = 4;
  for (std::size_t r = 0; r < rounds; ++r) {
    for (std::size_t k = 0; k < cases.size(); ++k) {
      auto& c = cases[(r + k) % cases.size()];
      run_threads(c.threads, timed_run / rounds, c.step, c.done);
    }
  }
  double raw_1 = cases[0].done.rate();
  double raw_16 = cases[1].done.rate();
  double one_rate = cases[2].done.rate();
  double shared_rate = cases[3].done.rate();
  double separate_rate = cases[4].done.rate();
  report_ceiling("(c) raw single-row INSERT+COMMIT, 1 client", raw_1);
  report("(c) raw single-row INSERT+COMMIT, 16 clients", raw_16, "(c) 1 client", raw_1);
  report("(e) append(), 1 thread x 1 event", one_rate, "(c) 1 client", raw_1);
  report("(e) append(), 16 threads x 1 event, one store", shared_rate, "(c) 16 clients", raw_16);
  std::printf("%-50s %9.2fx one thread (target at least 3x)\n", "", shared_rate / one_rate);
  report("(e) append(), 16 threads x 1 event, 16 stores", separate_rate, "(c) 16 clients", raw_16);
  std::printf("%-50s %9.2fx one thread\n", "", separate_rate / one_rate);
  std::fflush(stdout);
}

// (f): replaying the log with read_all() beside a raw paged SELECT of a table with the same rows.
void replay(std::size_t events) {
  constexpr std::size_t streams = 100;
  std::size_t batches = (events + batch_size - 1) / batch_size;
  events = batches * batch_size;
  scratch_schema raw_schema("raw_replay");
  std::atomic<std::int64_t> positions{0};
  raw_table_client raw(raw_schema.create_events_table(), positions);
  scratch_schema store_schema("store_replay");
  auto store = annal::open_store(store_schema.store_uri());
  auto data = events_of(batch_size);
  for (std::size_t b = 0; b < batches; ++b) {
    std::string stream = "stream-" + std::to_string(b % streams);
    for (auto& e : data) e.id = annal::uuid::v7();
    store->append(stream, expected_version::any(), data);
    raw.copy_batch(stream, batch_size);
  }
  auto annal_replay = [&] {
    std::size_t n = 0;
    std::uint64_t from = 1;
    for (;;) {
      auto slice = store->read_all(from, page_size);
      n += slice.events.size();
      from = slice.next_position;
      if (slice.end_of_log) return n;
    }
  };
  // The first pass of each sets the rows' hint bits and warms the caches.
  if (annal_replay() != events || raw.read_all() != events) fail("a replay lost events");
  double annal_seconds = seconds_of(annal_replay);
  double raw_seconds = seconds_of([&] { raw.read_all(); });
  double n = static_cast<double>(events);
  report("(f) read_all() replay, " + std::to_string(events) + " events, pages of 4096",
         n / annal_seconds, "raw SELECT, pages of 4096", n / raw_seconds);
}

}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("ANNAL_BENCH_POSTGRES");
  if (env == nullptr || *env == '\0') {
    fail(
        "set ANNAL_BENCH_POSTGRES to a server's URI, postgres://USER@HOST:PORT/DB (./run bench "
        "starts a private server and sets it)");
  }
  server = env;
  std::string only = argc > 1 ? argv[1] : "";
  const char* events_env = std::getenv("ANNAL_BENCH_EVENTS");
  std::size_t events = events_env != nullptr ? std::strtoull(events_env, nullptr, 10) : 1'000'000;
  try {
    pg::connection conn(server);
    auto settings = conn.query(
        "SELECT current_setting('server_version'), current_setting('fsync'), "
        "current_setting('synchronous_commit')");
    std::printf("PostgreSQL %s at %s (fsync %s, synchronous_commit %s), 200-byte JSON payloads\n",
                std::string(settings.bytes(0, 0)).c_str(), conn.name().c_str(),
                std::string(settings.bytes(0, 1)).c_str(),
                std::string(settings.bytes(0, 2)).c_str());
    if (only.empty() || only == "batches") batched_appends();
    if (only.empty() || only == "single") single_event_appends();
    if (only.empty() || only == "replay") replay(events);
  } catch (const std::exception& e) {
    fail(e.what());
  }
  return 0;
}
