// Benchmark: peak memory and speed of `annal export` and `annal import` as the log grows.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "annal/open_store.hpp"
#include "cli/process.hpp"
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

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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

void measure(const std::string& backend, std::size_t events) {
  temp_dir dir;
  auto uri = [&](const std::string& name) {
    return backend == "sqlite" ? "sqlite:" + dir.file(name + ".db") : "segment:" + dir.file(name);
  };
  fill(uri("source"), events);
  std::string file = dir.file("export.jsonl");
  // The floor: the same program doing almost nothing (opening the store, printing its summary).
  double info_seconds = 0, export_seconds = 0, import_seconds = 0;
  auto info = timed({"info", uri("source")}, "/dev/null", dir.file("info.txt"), info_seconds);
  auto exported = timed({"export", uri("source")}, "/dev/null", file, export_seconds);
  auto imported = timed({"import", uri("copy")}, file, dir.file("import.txt"), import_seconds);
  double megabytes = static_cast<double>(std::filesystem::file_size(file)) / (1 << 20);
  std::printf(
      "%-7s %9zu events  export file %7.1f MiB | peak RSS: info %6.1f MiB, export %6.1f MiB, "
      "import %6.1f MiB | export %9.0f ev/s, import %9.0f ev/s\n",
      backend.c_str(), events, megabytes, info.peak_rss_kib / 1024.0,
      exported.peak_rss_kib / 1024.0, imported.peak_rss_kib / 1024.0,
      static_cast<double>(events) / export_seconds, static_cast<double>(events) / import_seconds);
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
}
