// Benchmark: rebuild of read models from position zero, per backend, beside the
// decode-and-dispatch ceiling (an in-memory projection) and the raw read rate.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "annal/annal.hpp"
#include "support/temp_dir.hpp"

namespace shop {

struct item_sold {
  static constexpr std::string_view type = "shop.item_sold";
  long long cents;
  int quantity;
  std::string sku;
  std::string note;
};
struct price_changed {
  static constexpr std::string_view type = "shop.price_changed";
  std::string sku;
  long long cents;
};
using event = std::variant<item_sold, price_changed>;

}  // namespace shop

namespace {

using clock_type = std::chrono::steady_clock;
constexpr std::size_t stream_count = 10000;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// CPU time of the whole process (every thread), in seconds: unlike elapsed time, it does not
// grow when other processes share the cores.
double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// Elapsed and CPU seconds of one case.
struct timing {
  double seconds;
  double cpu;
};

// Appends `count` item_sold events of about 200 bytes of JSON, 100 per append, over 10,000
// streams.
void fill(annal::event_store& store, std::size_t count) {
  using codec = annal::event_codec<shop::event>;
  std::vector<annal::event_data> batch;
  for (std::size_t i = 0; i < count;) {
    batch.clear();
    for (std::size_t k = 0; k < 100 && i < count; ++k, ++i) {
      batch.push_back(codec::encode(shop::item_sold{
          static_cast<long long>(i % 9973), static_cast<int>(1 + i % 5),
          "sku-" + std::to_string(i % 50000), std::string(120, static_cast<char>('a' + i % 26))}));
    }
    store.append("order-" + std::to_string((i / 100) % stream_count),
                 annal::expected_version::any(), batch);
  }
}

// Runs one projection from zero to the head into a fresh read-model file.
timing rebuild(annal::event_store& store, const std::string& model, annal::projection p) {
  annal::projection_runner runner(store, model);
  std::string name = p.name;
  runner.add(std::move(p));
  auto start = clock_type::now();
  double cpu_start = cpu_seconds();
  runner.start();
  if (!runner.wait_until(name, store.head_position(), std::chrono::hours(1))) {
    std::fprintf(stderr, "%s did not finish: %s\n", name.c_str(),
                 runner.status(name).error.c_str());
    std::exit(1);
  }
  return {seconds_since(start), cpu_seconds() - cpu_start};
}

annal::projection upsert_projection() {
  return annal::sqlite_projection<shop::event>(
      "order_totals", 1, {"order_totals"},
      [](annal::read_model_transaction& tx) {
        tx.execute(
            "CREATE TABLE {order_totals}(stream TEXT PRIMARY KEY, cents INTEGER, items INTEGER, "
            "last_position INTEGER) WITHOUT ROWID");
      },
      [](const auto& e, const annal::recorded_event& r, annal::read_model_transaction& tx) {
        if constexpr (std::is_same_v<std::decay_t<decltype(e)>, shop::item_sold>) {
          tx.execute(
              "INSERT INTO {order_totals}(stream, cents, items, last_position) "
              "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(stream) DO UPDATE SET "
              "cents = cents + excluded.cents, items = items + excluded.items, "
              "last_position = excluded.last_position",
              {r.stream_id, e.cents * e.quantity, e.quantity, r.position});
        }
      });
}

annal::projection append_projection() {
  return annal::sqlite_projection<shop::event>(
      "sales", 1, {"sales"},
      [](annal::read_model_transaction& tx) {
        tx.execute(
            "CREATE TABLE {sales}(position INTEGER PRIMARY KEY, stream TEXT, sku TEXT, "
            "cents INTEGER)");
      },
      [](const auto& e, const annal::recorded_event& r, annal::read_model_transaction& tx) {
        if constexpr (std::is_same_v<std::decay_t<decltype(e)>, shop::item_sold>) {
          tx.execute("INSERT INTO {sales}(position, stream, sku, cents) VALUES (?1, ?2, ?3, ?4)",
                     {r.position, r.stream_id, e.sku, e.cents});
        }
      });
}

annal::projection memory_projection(long long& total) {
  return annal::sink_projection<shop::event>(
      "in_memory", 1, [&total](const auto& e, const annal::recorded_event&) {
        if constexpr (std::is_same_v<std::decay_t<decltype(e)>, shop::item_sold>) {
          total += e.cents * e.quantity;
        }
      });
}

// Reads the whole log in pages of 8192 without decoding: what any projection pays first.
timing read_only(annal::event_store& store, const annal::read_filter& filter = {}) {
  auto start = clock_type::now();
  double cpu_start = cpu_seconds();
  std::uint64_t from = 1;
  std::size_t n = 0;
  for (;;) {
    auto slice = store.read_all(from, 8192, filter);
    n += slice.events.size();
    from = slice.next_position;
    if (slice.end_of_log) break;
  }
  if (n != store.head_position()) std::exit(1);
  return {seconds_since(start), cpu_seconds() - cpu_start};
}

void report(const char* backend, const char* name, std::size_t events, timing t, timing ceiling) {
  std::printf(
      "%-8s %-32s %8zu events %7.2f s %9.0f events/s  ratio %.2f | CPU %5.2f us/event, %9.0f "
      "events per CPU-second\n",
      backend, name, events, t.seconds, events / t.seconds, ceiling.seconds / t.seconds,
      t.cpu * 1e6 / events, events / t.cpu);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  std::string only = argc > 2 ? argv[2] : "";
  std::printf("projection rebuild from position zero: %zu events of ~200-byte JSON, %zu streams\n",
              count, stream_count);
  std::printf("ceiling: the in-memory projection (read + decode + dispatch, no writes)\n");
  for (const char* backend : {"segment", "sqlite"}) {
    if (!only.empty() && only != backend) continue;
    annal::test::temp_dir dir;
    std::string uri =
        std::string(backend) + ":" +
        (std::string(backend) == "sqlite" ? dir.file("store.db")
                                          : dir.file("store") + "?durability=os_buffered");
    auto store = annal::open_store(uri);
    auto fill_start = clock_type::now();
    fill(*store, count);
    std::printf("%-8s filled in %.2f s\n", backend, seconds_since(fill_start));
    timing read = read_only(*store);
    long long total = 0;
    timing ceiling = rebuild(*store, dir.file("memory.db"), memory_projection(total));
    report(backend, "read_all only (no decode)", count, read, ceiling);
    report(backend, "read_all filtered by type", count,
           read_only(*store, {{"shop.item_sold", "shop.price_changed"}, ""}), ceiling);
    report(backend, "in-memory projection (ceiling)", count, ceiling, ceiling);
    report(backend, "upsert 10,000-row read model", count,
           rebuild(*store, dir.file("upsert.db"), upsert_projection()), ceiling);
    report(backend, "append one row per event", count,
           rebuild(*store, dir.file("append.db"), append_projection()), ceiling);
  }
}
