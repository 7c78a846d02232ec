// Benchmark: what a signed checkpoint costs (every event read, digested and put in the Merkle
// tree) against the ceiling of hashing the same bytes with SHA-256 alone, in the same run.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "annal/open_store.hpp"
#include "core/event_digest.hpp"
#include "core/log_tree.hpp"
#include "core/merkle_tree.hpp"
#include "support/temp_dir.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
constexpr int events = 200'000;
constexpr int batch = 100;
constexpr std::size_t payload_size = 200;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string backend = argc > 1 ? argv[1] : "segment";
  annal::test::temp_dir dir;
  std::string uri = backend == "sqlite"
                        ? "sqlite:" + dir.file("store.db")
                        : "segment:" + dir.file("store") + "?durability=os_buffered";
  auto store = annal::open_store(uri);
  std::string payload = "{\"note\":\"" + std::string(payload_size - 11, 'x') + "\"}";
  std::vector<annal::event_data> batch_events(batch);
  for (int b = 0; b < events / batch; ++b) {
    for (auto& e : batch_events) {
      e.id = annal::uuid::v7();
      e.type = "bench.noted";
      e.payload = payload;
    }
    store->append("s-" + std::to_string(b % 1000), annal::expected_version::any(), batch_events);
  }
  auto head = store->head_position();

  auto start = clock_type::now();
  auto leaves = annal::detail::log_leaf_hashes(*store, head);
  auto root = annal::detail::merkle_root(leaves);
  double checkpoint_seconds = seconds_since(start);

  // Ceiling: one SHA-256 over each event's payload and a header of its size, then the tree.
  auto events_read = store->read_all(1, 1000).events;
  std::string header(80, 'h');
  start = clock_type::now();
  std::vector<annal::detail::sha256_digest> raw(head);
  for (std::uint64_t i = 0; i < head; ++i) {
    raw[i] = annal::detail::sha256(header + payload);
  }
  auto raw_root = annal::detail::merkle_root(raw);
  double ceiling_seconds = seconds_since(start);

  start = clock_type::now();
  for (int i = 0; i < 10; ++i) {
    for (const auto& e : events_read) (void)annal::detail::event_digest(e);
  }
  double digest_us = seconds_since(start) * 1e6 / (10.0 * static_cast<double>(events_read.size()));

  double rate = static_cast<double>(head) / checkpoint_seconds;
  double ceiling = static_cast<double>(head) / ceiling_seconds;
  std::printf("%s store of %llu events (%zu-byte payloads, batches of %d)\n", backend.c_str(),
              static_cast<unsigned long long>(head), payload_size, batch);
  std::printf("checkpoint (read, digest, tree): %.2f s, %.0f events/s (root %02x%02x...)\n",
              checkpoint_seconds, rate, root[0], root[1]);
  std::printf(
      "ceiling (SHA-256 of the same bytes, then the tree): %.0f events/s (%02x) | ratio "
      "%.2f\n",
      ceiling, raw_root[0], rate / ceiling);
  std::printf("event digest alone: %.2f us an event\n", digest_us);
  return 0;
}
