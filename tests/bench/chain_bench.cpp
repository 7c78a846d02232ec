// Benchmark: what the hash chain (content digests and the batch's link) costs appends of 100
// events, against appends without it or beside the store's own appends, in the same run.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "annal/open_store.hpp"
#include "backends/open_store_with_hooks.hpp"
#include "core/batch_chain.hpp"
#include "core/metadata_json.hpp"
#include "support/temp_dir.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
constexpr int batch = 100;
constexpr std::size_t payload_size = 200;
constexpr int slices = 10;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

std::vector<annal::event_data> make_batch(const std::string& payload) {
  std::vector<annal::event_data> events(batch);
  for (auto& e : events) {
    e.id = annal::uuid::v7();
    e.type = "bench.noted";
    e.payload = payload;
  }
  return events;
}

// The chain's work on one batch, as an append does it.
annal::detail::sha256_digest chain_work(const std::vector<annal::event_data>& events,
                                        const annal::detail::sha256_digest& previous,
                                        std::uint64_t first_position) {
  auto metadata = annal::detail::encode_all_metadata(std::span(events));
  auto contents = annal::detail::content_digests(events, metadata);
  return annal::detail::append_link(previous, "s-1", first_position, 1, 1'765'000'000'000'000,
                                    events, contents);
}

// Appends `batches` batches in `slices` slices and, between them, computes the chain of the same
// number of batches as an append does; prints both and the chain's share.
void measure(const std::string& name, const std::string& uri, int batches) {
  auto store = annal::open_store(uri);
  std::string payload = "{\"note\":\"" + std::string(payload_size - 11, 'x') + "\"}";
  double append_seconds = 0;
  double chain_seconds = 0;
  annal::detail::sha256_digest link{};
  for (int slice = 0; slice < slices; ++slice) {
    std::vector<std::vector<annal::event_data>> prepared;
    for (int b = 0; b < batches / slices; ++b) prepared.push_back(make_batch(payload));
    auto start = clock_type::now();
    for (int b = 0; b < batches / slices; ++b) {
      store->append("s-" + std::to_string(b % 100), annal::expected_version::any(), prepared[b]);
    }
    append_seconds += seconds_since(start);
    start = clock_type::now();
    for (int b = 0; b < batches / slices; ++b) link = chain_work(prepared[b], link, 1 + b * batch);
    chain_seconds += seconds_since(start);
  }
  double events = static_cast<double>(batches) * batch;
  std::printf(
      "%-28s append %9.0f events/s | chain alone %9.0f events/s (%.2f us an event) | "
      "chain's share of an append %.1f %% (link %02x)\n",
      name.c_str(), events / append_seconds, events / chain_seconds, chain_seconds * 1e6 / events,
      100.0 * chain_seconds / append_seconds, link[0]);
}

// With `threads` appenders at once, appends to a store that keeps the chain and to one that
// hashes none (the benchmark seam store_hooks::without_chain), in short alternating slices so
// that the disk's drift, which on a virtual disk is larger than the difference, hits both alike:
// the chain's cost on append throughput, wherever the store does the hashing.
void measure_cost(const std::string& name, const std::string& uri, const std::string& options,
                  int threads, int batches_per_thread) {
  constexpr int slices = 200;
  auto with_chain = annal::open_store(uri + "-with" + options);
  annal::detail::store_hooks hooks;
  hooks.without_chain = true;
  auto without_chain = annal::detail::open_store_with_hooks(uri + "-without" + options, {}, hooks);
  std::string payload = "{\"note\":\"" + std::string(payload_size - 11, 'x') + "\"}";
  double seconds[2] = {0, 0};
  std::vector<double> latencies[2];
  for (int slice = 0; slice < 2 * slices; ++slice) {
    // Which store goes first alternates too.
    bool chained = (slice % 2 == 0) == (slice / 2 % 2 == 0);
    auto& store = chained ? *with_chain : *without_chain;
    std::vector<std::vector<std::vector<annal::event_data>>> prepared(threads);
    for (auto& mine : prepared) {
      for (int b = 0; b < batches_per_thread / slices; ++b) mine.push_back(make_batch(payload));
    }
    auto start = clock_type::now();
    auto append_all = [&](int t) {
      for (const auto& events : prepared[t]) {
        store.append("m-" + std::to_string(t), annal::expected_version::any(), events);
      }
    };
    if (threads == 1) {
      for (const auto& events : prepared[0]) {
        auto one = clock_type::now();
        store.append("m-0", annal::expected_version::any(), events);
        latencies[chained ? 0 : 1].push_back(seconds_since(one));
      }
    } else {
      std::vector<std::thread> appenders;
      for (int t = 0; t < threads; ++t) appenders.emplace_back(append_all, t);
      for (auto& a : appenders) a.join();
    }
    seconds[chained ? 0 : 1] += seconds_since(start);
  }
  if (threads == 1) {
    for (auto& l : latencies) std::sort(l.begin(), l.end());
    std::printf("  median append %.1f us without the chain, %.1f us with it\n",
                latencies[1][latencies[1].size() / 2] * 1e6,
                latencies[0][latencies[0].size() / 2] * 1e6);
  }
  double events = static_cast<double>(threads) * (batches_per_thread / slices) * slices * batch;
  std::printf(
      "%-28s %d appenders: without the chain %9.0f events/s, with it %9.0f events/s | the "
      "chain's cost on throughput %.1f %%\n",
      name.c_str(), threads, events / seconds[1], events / seconds[0],
      100.0 * (seconds[0] - seconds[1]) / seconds[0]);
}

}  // namespace

// Usage: chain_bench [durable|buffered|sqlite|postgres]: one part alone; all by default.
int main(int argc, char** argv) {
  std::string only = argc > 1 ? argv[1] : "";
  auto wanted = [&](const char* part) { return only.empty() || only == part; };
  annal::test::temp_dir dir;
  // The segment log measured against a store without the chain; the chain alone, and its share
  // of SQLite's and PostgreSQL's appends.
  for (int threads : {1, 4}) {
    if (!wanted("durable")) break;
    measure_cost("segment sync_each_batch",
                 "segment:" + dir.file("durable-" + std::to_string(threads)), "", threads,
                 4000 / threads);
  }
  for (int threads : {1, 4}) {
    if (!wanted("buffered")) break;
    measure_cost("segment os_buffered",
                 "segment:" + dir.file("buffered-" + std::to_string(threads)),
                 "?durability=os_buffered", threads, 20000 / threads);
  }
  if (wanted("sqlite")) measure("sqlite", "sqlite:" + dir.file("store.db"), 2000);
  const char* server = std::getenv("ANNAL_BENCH_POSTGRES");
  if (server != nullptr && wanted("postgres")) {
    std::string uri = server;
    uri += (uri.find('?') == std::string::npos ? "?" : "&");
    uri += "schema=annal_chain_bench";
    measure("postgres", uri, 2000);
  }
  return 0;
}
