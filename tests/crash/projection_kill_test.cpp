// Kills a process running a projection mid-batch: after each kill the read model and its
// checkpoint agree, and a restart finishes with every event applied exactly once. The child
// says when it is inside a batch, so no kill depends on timing.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <random>
#include <thread>

#include "projection/projection_fixture.hpp"

using namespace annal;
using namespace std::chrono_literals;
using annal::test::read_totals;
using annal::test::triangle;

namespace {

// The ledger projection, which reports on `report` when it has applied the event at position
// `stop_at` (inside that batch's transaction) and then waits there to be killed.
projection stopping_ledger(std::int64_t stop_at, int report) {
  return test::with_hooks(test::ledger_projection(), nullptr,
                          [stop_at, report](const recorded_event& e, read_model_transaction&) {
                            if (static_cast<std::int64_t>(e.position) != stop_at) return;
                            char byte = 1;
                            if (::write(report, &byte, 1) != 1) _exit(4);
                            for (;;) ::pause();
                          });
}

runner_options small_batches() {
  runner_options o;
  o.batch_size = 100;
  return o;
}

[[noreturn]] void run_child(const std::string& uri, const std::string& model,
                            std::int64_t stop_at, int report) {
  try {
    auto store = open_store(uri);
    projection_runner runner(*store, model, small_batches());
    runner.add(stopping_ledger(stop_at, report));
    runner.start();
    for (;;) ::pause();  // the runner's thread reports; this one waits to be killed
  } catch (...) {
    _exit(3);
  }
}

}  // namespace

TEST_CASE("a runner killed mid-batch leaves the read model and its checkpoint in agreement",
          "[crash][projection]") {
  std::string backend = GENERATE(as<std::string>{}, "sqlite", "segment");
  test::temp_dir dir;
  std::string uri = backend == "sqlite"
                        ? "sqlite:" + dir.file("store.db")
                        : "segment:" + dir.file("store") + "?durability=os_buffered";
  std::string model = dir.file("model.db");
  constexpr std::int64_t total = 6000;
  {
    auto store = open_store(uri);
    for (std::int64_t i = 0; i < total; i += 50) {
      std::vector<event_data> batch;
      for (std::int64_t k = 1; k <= 50; ++k) {
        batch.push_back(event_codec<ledger::event>::encode(ledger::deposited{i + k}));
      }
      store->append("acct-" + std::to_string(i % 13), expected_version::any(), batch);
    }
  }
  std::mt19937 random(42);
  std::int64_t last_checkpoint = 0;
  int kills = 0;
  for (int round = 0; round < 5; ++round) {
    // The child stops inside the batch that holds this event, past at least one whole batch of
    // this run: the kill lands mid-batch by construction, at whatever speed the machine runs.
    std::int64_t stop_at = last_checkpoint + 150 + static_cast<std::int64_t>(random() % 900);
    int report[2];
    REQUIRE(::pipe(report) == 0);
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::close(report[0]);
      run_child(uri, model, stop_at, report[1]);
    }
    ::close(report[1]);
    char byte = 0;
    ssize_t got = ::read(report[0], &byte, 1);
    ::close(report[0]);
    REQUIRE(kill(child, SIGKILL) == 0);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(got == 1);  // else the child ended before it reached the event: see its status
    REQUIRE(WIFSIGNALED(status));
    ++kills;
    auto t = read_totals(model);
    INFO("backend " << backend << ", kill " << kills << ", stopped at " << stop_at
                    << ", checkpoint " << t.checkpoint);
    CHECK(t.entries == t.checkpoint);
    CHECK(t.position_sum == triangle(t.checkpoint));
    CHECK(t.checkpoint < stop_at);  // the batch being applied was not committed
    CHECK(t.checkpoint > last_checkpoint);  // the whole batches before it were
    last_checkpoint = t.checkpoint;
  }
  CHECK(last_checkpoint > 0);
  auto store = open_store(uri);
  projection_runner runner(*store, model, small_batches());
  runner.add(test::ledger_projection());
  runner.start();
  REQUIRE(runner.wait_until("ledger", total, 60s));
  runner.stop();
  auto t = read_totals(model);
  CHECK(t.entries == total);
  CHECK(t.position_sum == triangle(total));
  CHECK(t.balance_sum == triangle(total));
}
