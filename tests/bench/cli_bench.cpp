// Benchmark: peak memory and speed of `annal export` and `annal import` as the log grows, beside
// the same work done in process without text.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "annal/open_store.hpp"
#include "cli/process.hpp"
#include "log_copier.hpp"
#include "support/temp_dir.hpp"

namespace {

using annal::event_data;
using annal::expected_version;
using annal::test::run_tool;
using annal::test::temp_dir;

constexpr std::size_t batch_size = 100;
constexpr std::size_t stream_count = 10'000;

// `events` events with 200-byte JSON payloads, 100 per append, over 10,000 streams.
void fill(const std::string& uri, std::size_t events) {
  auto store = annal::open_store(uri);
  std::string payload = "{\"data\":\"" + std::string(189, 'x') + "\"}";
  std::vector<event_data> batch(batch_size);
  for (std::size_t i = 0; i < events / batch_size; ++i) {
    for (auto& e : batch) {
      e.id = annal::uuid::v7();
      e.type = "bench.happened";
      e.payload = payload;
    }
    store->append("stream-" + std::to_string(i % stream_count), expected_version::any(), batch);
  }
  store->close();
}

// Runs `work` in a child process and waits for it. Filling a store and the in-process ceilings
// run there: the benchmark stays small, so a spawned tool's peak RSS, which Linux counts from the
// spawning process's size, is the tool's own.
template <class Work>
void in_child(Work&& work) {
  pid_t child = ::fork();
  if (child < 0) {
    std::perror("fork");
    std::exit(1);
  }
  if (child == 0) {
    work();
    std::fflush(nullptr);
    std::_Exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) std::exit(1);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The ceilings, in process and without text: reading the log in the pages export reads, and
// copying it with the log_copier import uses. Returns events per second of each.
std::pair<double, double> ceilings(const std::string& source, const std::string& target) {
  auto store = annal::open_store(source);
  std::uint64_t head = store->head_position();
  auto start = std::chrono::steady_clock::now();
  std::size_t bytes = 0;
  for (std::uint64_t position = 1; position <= head;) {
    auto slice = store->read_all(position, 1000);
    for (const auto& e : slice.events) bytes += e.payload.size();
    position = slice.next_position;
  }
  double read_rate = static_cast<double>(head) / seconds_since(start);
  if (bytes == 0) std::exit(1);
  auto copy = annal::open_store(target);
  start = std::chrono::steady_clock::now();
  annal::cli::log_copier copier(*copy);
  for (std::uint64_t position = 1; position <= head;) {
    auto slice = store->read_all(position, 1000);
    for (auto& e : slice.events) copier.add(std::move(e));
    position = slice.next_position;
  }
  copier.finish();
  copy->close();
  return {read_rate, static_cast<double>(head) / seconds_since(start)};
}

annal::test::tool_result timed(const std::vector<std::string>& args, const std::string& input,
                               const std::string& out, double& seconds) {
  auto start = std::chrono::steady_clock::now();
  auto r = run_tool(args, input, out);
  seconds = seconds_since(start);
  if (r.exit_code != 0) {
    std::fprintf(stderr, "annal %s failed: %s", args[0].c_str(), r.err.c_str());
    std::exit(1);
  }
  return r;
}

// `options` are URI options for the tool's stores, e.g. a smaller SQLite page cache.
void measure(const std::string& backend, std::size_t events, const std::string& options = {}) {
  temp_dir dir;
  auto uri = [&](const std::string& name) {
    return (backend == "sqlite" ? "sqlite:" + dir.file(name + ".db")
                                : "segment:" + dir.file(name)) +
           (options.empty() ? "" : "?" + options);
  };
  std::string rates = dir.file("ceilings.txt");
  in_child([&] {
    fill(uri("source"), events);
    auto [read_rate, copy_rate] = ceilings(uri("source"), uri("ceiling"));
    std::ofstream(rates) << read_rate << ' ' << copy_rate;
  });
  double read_rate = 0, copy_rate = 0;
  std::ifstream(rates) >> read_rate >> copy_rate;
  std::string file = dir.file("export.jsonl");
  // The floor: the same program doing almost nothing (opening the store, printing its summary).
  double info_seconds = 0, export_seconds = 0, import_seconds = 0;
  auto info = timed({"info", uri("source")}, "/dev/null", dir.file("info.txt"), info_seconds);
  auto exported = timed({"export", uri("source")}, "/dev/null", file, export_seconds);
  auto imported = timed({"import", uri("copy")}, file, dir.file("import.txt"), import_seconds);
  double megabytes = static_cast<double>(std::filesystem::file_size(file)) / (1 << 20);
  double export_rate = static_cast<double>(events) / export_seconds;
  double import_rate = static_cast<double>(events) / import_seconds;
  std::printf(
      "%-7s %-18s %8zu events, file %6.1f MiB | peak RSS MiB: info %5.1f, export %5.1f, "
      "import %5.1f | export %7.0f ev/s (read_all %7.0f, ratio %.2f) | import %6.0f ev/s "
      "(in-process copy %6.0f, ratio %.2f)\n",
      backend.c_str(), options.c_str(), events, megabytes, info.peak_rss_kib / 1024.0,
      exported.peak_rss_kib / 1024.0, imported.peak_rss_kib / 1024.0, export_rate, read_rate,
      export_rate / read_rate, import_rate, copy_rate, import_rate / copy_rate);
  std::fflush(stdout);
}

}  // namespace

int main() {
  const char* env = std::getenv("ANNAL_BENCH_EVENTS");
  std::size_t events = env != nullptr ? std::strtoull(env, nullptr, 10) : 1'000'000;
  for (const char* backend : {"sqlite", "segment"}) {
    // A tenth of the log first: constant memory means the same peak for both sizes.
    measure(backend, events / 10);
    measure(backend, events);
  }
  // SQLite's page cache (64 MiB per connection by default) is most of the SQLite figures.
  measure("sqlite", events, "sqlite_cache_mib=2");
}
