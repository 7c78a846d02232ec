// Failover with real processes: two runners of one projection on one store and read model (a
// SQLite file, or a PostgreSQL schema); the leader is killed while a writer appends; the standby
// takes over and nothing is applied twice.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "projection/projection_fixture.hpp"
#include "support/process.hpp"

using namespace annal;
using namespace std::chrono_literals;
using annal::test::postgres_schema;
using annal::test::triangle;
using clock_type = std::chrono::steady_clock;

namespace {

// One status line of a child: when, its state, its serving checkpoint.
struct report {
  clock_type::time_point at;
  std::string state;
  std::uint64_t checkpoint = 0;
  bool leading() const { return state == "live" || state == "catching_up"; }
};

std::vector<report> reports(const std::string& file) {
  std::vector<report> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    long long ns = 0;
    report r;
    if (words >> ns >> r.state >> r.checkpoint) {
      r.at = clock_type::time_point(std::chrono::nanoseconds(ns));
      out.push_back(std::move(r));
    }
  }
  return out;
}

// Starts the child program with its standard output going to `out`.
std::unique_ptr<test::process> spawn(const std::string& program, const std::string& store,
                                     const std::string& model, const std::string& out) {
  return std::make_unique<test::process>([&](test::process&) {
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ::dup2(fd, 1) < 0) _exit(126);
    ::execl(program.c_str(), program.c_str(), store.c_str(), model.c_str(), nullptr);
    _exit(127);
  });
}

template <class Condition>
bool within(std::chrono::milliseconds bound, Condition condition) {
  auto deadline = clock_type::now() + bound;
  while (clock_type::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

// Runs the child program twice on `store_uri` and `model`, kills the leader half-way through a
// writer's appends and checks the hand-over.
void check_failover(const std::string& store_uri, const std::string& model) {
  const char* program = std::getenv("ANNAL_FAILOVER_CHILD");
  REQUIRE(program != nullptr);
  test::temp_dir dir;
  std::string out_a = dir.file("a.out");
  std::string out_b = dir.file("b.out");
  auto store = open_store(store_uri);
  auto last = [](const std::string& file) {
    auto r = reports(file);
    return r.empty() ? report{} : r.back();
  };

  auto a = spawn(program, store_uri, model, out_a);
  REQUIRE(within(30s, [&] { return last(out_a).leading(); }));
  auto b = spawn(program, store_uri, model, out_b);
  REQUIRE(within(30s, [&] { return last(out_b).state == "standby"; }));

  constexpr std::uint64_t total = 1200;
  clock_type::time_point kill_sent{};
  clock_type::time_point killed{};
  auto leader_past_300 = [&] { return last(out_a).checkpoint >= 300; };
  for (std::uint64_t n = 1; n <= total; ++n) {
    store->append("s-" + std::to_string(n % 7), expected_version::any(), test::make_event());
    if (killed != clock_type::time_point{}) continue;
    // Half-way, the writer waits for the leader to pass 300, so the kill always lands while half
    // of the events are still to be appended, however fast either side runs.
    if (n == total / 2) REQUIRE(within(60s, leader_past_300));
    if (leader_past_300()) {
      kill_sent = clock_type::now();
      a->kill();
      a->wait();
      killed = clock_type::now();
    }
  }
  REQUIRE(killed != clock_type::time_point{});
  REQUIRE(within(60s, [&] { return last(out_b).checkpoint == total; }));

  // The standby took the lead within the bound, and only after the leader died.
  auto seen_b = reports(out_b);
  auto took_over =
      std::find_if(seen_b.begin(), seen_b.end(), [](const report& r) { return r.leading(); });
  REQUIRE(took_over != seen_b.end());
  CHECK(took_over->at > kill_sent);
  CHECK(took_over->at - killed < 10s);
  std::printf(
      "failover on %s: the standby led %lld ms after the leader was reaped (leader_retry 200 ms)\n",
      model.starts_with("postgres") ? "PostgreSQL" : "SQLite",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(took_over->at - killed).count()));
  for (const auto& r : reports(out_a)) CHECK(r.at < killed);

  // Every event applied exactly once: the leader's rows all come before the standby's.
  read_model_reader reader(model);
  std::int64_t rows = 0, position_sum = 0, pids = 0;
  reader.query("SELECT count(*), sum(position), count(DISTINCT pid) FROM applied", {},
               [&](const sql_row& row) {
                 rows = row.integer(0);
                 position_sum = row.integer(1);
                 pids = row.integer(2);
               });
  CHECK(rows == static_cast<std::int64_t>(total));
  CHECK(position_sum == triangle(static_cast<std::int64_t>(total)));
  CHECK(pids == 2);
  std::int64_t interleaved = -1;
  reader.query(
      "SELECT count(*) FROM (SELECT pid, lag(pid) OVER (ORDER BY position) AS before FROM "
      "applied) t WHERE before IS NOT NULL AND before <> pid",
      {}, [&](const sql_row& row) { interleaved = row.integer(0); });
  CHECK(interleaved == 1);  // one hand-over, never back and forth
  b->kill();
}

}  // namespace

TEST_CASE("SQLite: when the leader process is killed the standby takes over exactly once",
          "[sqlite_model][failover]") {
  test::temp_dir dir;
  check_failover("sqlite:" + dir.file("store.db"), dir.file("model.db"));
}

TEST_CASE("PostgreSQL: when the leader process is killed the standby takes over exactly once",
          "[postgres][failover]") {
  postgres_schema schema;
  postgres_schema store_schema;
  check_failover(store_schema.uri(), schema.uri());
}
