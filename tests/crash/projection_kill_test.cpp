// Kills a process running a projection mid-batch: after each kill the read model and its
// checkpoint agree, and a restart finishes with every event applied exactly once.
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

// The ledger projection, slowed down so that a kill lands inside a batch's transaction.
projection slow_ledger() {
  return test::with_hooks(
      test::ledger_projection(), nullptr,
      [](const recorded_event&, read_model_transaction&) { std::this_thread::sleep_for(100us); });
}

runner_options small_batches() {
  runner_options o;
  o.batch_size = 100;
  return o;
}

[[noreturn]] void run_child(const std::string& uri, const std::string& model) {
  try {
    auto store = open_store(uri);
    projection_runner runner(*store, model, small_batches());
    runner.add(slow_ledger());
    runner.start();
    for (;;) std::this_thread::sleep_for(1s);
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
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) run_child(uri, model);
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + random() % 200));
    REQUIRE(kill(child, SIGKILL) == 0);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));
    ++kills;
    auto t = read_totals(model);
    INFO("backend " << backend << ", kill " << kills << ", checkpoint " << t.checkpoint);
    CHECK(t.entries == t.checkpoint);
    CHECK(t.position_sum == triangle(t.checkpoint));
    CHECK(t.checkpoint >= last_checkpoint);
    last_checkpoint = t.checkpoint;
    if (kills == 1) CHECK(t.checkpoint < total);  // the first kill interrupted the catch-up
    if (t.checkpoint == total) break;
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
