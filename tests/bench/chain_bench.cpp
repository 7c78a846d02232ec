// Benchmark: the share of an append of 100 events that the hash chain takes (content digests and
// the batch's link), measured beside the store's own appends in the same run.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "annal/open_store.hpp"
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

// With `threads` appenders at once (group commit), the throughput lost when each appender does
// the chain's work of its batch once more before appending it: the chain's marginal cost on
// throughput, in which the hashing that runs beside other appends' disk waits does not count.
// Plain rounds and rounds with the extra work alternate, so the disk's drift hits both alike.
void measure_marginal(const std::string& name, const std::string& uri, int threads,
                      int batches_per_thread) {
  auto store = annal::open_store(uri);
  std::string payload = "{\"note\":\"" + std::string(payload_size - 11, 'x') + "\"}";
  double seconds[2] = {0, 0};
  for (int slice = 0; slice < 2 * slices; ++slice) {
    bool extra = slice % 2 == 1;
    std::vector<std::vector<std::vector<annal::event_data>>> prepared(threads);
    for (auto& mine : prepared) {
      for (int b = 0; b < batches_per_thread / slices; ++b) mine.push_back(make_batch(payload));
    }
    std::vector<unsigned> sink(threads);
    auto start = clock_type::now();
    std::vector<std::thread> appenders;
    for (int t = 0; t < threads; ++t) {
      appenders.emplace_back([&, t] {
        annal::detail::sha256_digest link{};
        for (const auto& events : prepared[t]) {
          if (extra) link = chain_work(events, link, 1);
          store->append("m-" + std::to_string(t), annal::expected_version::any(), events);
        }
        sink[t] = link[0];
      });
    }
    for (auto& a : appenders) a.join();
    seconds[extra ? 1 : 0] += seconds_since(start);
  }
  double events = static_cast<double>(threads) * batches_per_thread * batch;
  std::printf(
      "%-28s %d appenders: append %9.0f events/s, with the chain's work once more "
      "%9.0f events/s | the chain's marginal cost on throughput %.1f %%\n",
      name.c_str(), threads, events / seconds[0], events / seconds[1],
      100.0 * (seconds[1] - seconds[0]) / seconds[1]);
}

}  // namespace

int main() {
  annal::test::temp_dir dir;
  measure("segment sync_each_batch", "segment:" + dir.file("durable"), 2000);
  for (int threads : {1, 4}) {
    measure_marginal("segment sync_each_batch",
                     "segment:" + dir.file("marginal-" + std::to_string(threads)), threads,
                     2000 / threads);
  }
  measure("segment os_buffered", "segment:" + dir.file("buffered") + "?durability=os_buffered",
          20000);
  measure("sqlite", "sqlite:" + dir.file("store.db"), 2000);
  if (const char* server = std::getenv("ANNAL_BENCH_POSTGRES")) {
    std::string uri = server;
    uri += (uri.find('?') == std::string::npos ? "?" : "&");
    uri += "schema=annal_chain_bench";
    measure("postgres", uri, 2000);
  }
  return 0;
}
