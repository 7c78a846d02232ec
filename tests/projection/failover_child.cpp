// A process running one projection on a shared store and read model (a SQLite file or a PostgreSQL
// schema), for the failover test: `failover_child STORE_URI MODEL_URI` writes "<steady ns> <state>
// <checkpoint>" lines to standard output every 10 ms until it is killed. Each event becomes a row
// (position, pid).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "annal/annal.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: failover_child STORE_URI MODEL_URI\n");
    return 2;
  }
  try {
    auto store = annal::open_store(argv[1]);
    annal::runner_options options;
    options.batch_size = 50;
    options.leader_retry = std::chrono::milliseconds(200);
    annal::projection_runner runner(*store, argv[2], options);
    annal::projection p;
    p.name = "applied";
    p.tables = {"applied"};
    p.create_tables = [](annal::read_model_transaction& tx) {
      tx.execute("CREATE TABLE {applied}(position BIGINT PRIMARY KEY, pid BIGINT NOT NULL)");
    };
    p.handler = annal::read_model_handler{
        [pid = static_cast<std::int64_t>(::getpid())](const annal::recorded_event& r,
                                                      annal::read_model_transaction& tx) {
          tx.execute("INSERT INTO {applied}(position, pid) VALUES ($1, $2)", {r.position, pid});
        }};
    runner.add(std::move(p));
    runner.start();
    for (;;) {
      auto s = runner.status("applied");
      auto now = std::chrono::steady_clock::now().time_since_epoch();
      std::printf("%lld %s %llu\n", static_cast<long long>(std::chrono::nanoseconds(now).count()),
                  std::string(annal::to_string(s.state)).c_str(),
                  static_cast<unsigned long long>(s.serving_checkpoint));
      std::fflush(stdout);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "failover_child: %s\n", e.what());
    return 3;
  }
}
