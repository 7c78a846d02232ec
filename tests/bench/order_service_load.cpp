// Load check of the sample order service: N concurrent HTTP clients creating and paying orders,
// beside the same commands run in-process (no HTTP) and HTTP reads, measured in the same run.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api_client.hpp"
#include "server.hpp"
#include "support/temp_dir.hpp"

using nlohmann::json;
using order_service::test::api_client;
using clock_type = std::chrono::steady_clock;

namespace {

struct figures {
  std::size_t requests = 0;
  std::size_t errors = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;

  double rate() const { return static_cast<double>(requests) / seconds; }
  double percentile(double p) {
    if (latencies_ms.empty()) return 0;
    std::sort(latencies_ms.begin(), latencies_ms.end());
    auto at = static_cast<std::size_t>(p * static_cast<double>(latencies_ms.size() - 1));
    return latencies_ms[at];
  }
};

// Runs `work(client_index, item_index, timed)` for items 0..count-1 spread over `clients`
// threads; `timed(fn)` runs fn, records its latency and counts it as an error when it returns
// false.
figures run_clients(
    std::size_t clients, std::size_t count,
    const std::function<void(std::size_t, std::size_t,
                             const std::function<void(std::function<bool()>)>&)>& work) {
  figures result;
  std::mutex mutex;
  std::atomic<std::size_t> next{0};
  auto started = clock_type::now();
  std::vector<std::thread> threads;
  for (std::size_t c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      std::vector<double> latencies;
      std::size_t errors = 0;
      auto timed = [&](const std::function<bool()>& request) {
        auto begin = clock_type::now();
        bool ok = request();
        latencies.push_back(
            std::chrono::duration<double, std::milli>(clock_type::now() - begin).count());
        if (!ok) ++errors;
      };
      for (std::size_t i = next++; i < count; i = next++) work(c, i, timed);
      std::lock_guard lock(mutex);
      result.latencies_ms.insert(result.latencies_ms.end(), latencies.begin(), latencies.end());
      result.errors += errors;
    });
  }
  for (auto& t : threads) t.join();
  result.seconds = std::chrono::duration<double>(clock_type::now() - started).count();
  result.requests = result.latencies_ms.size();
  return result;
}

std::string uri_for(const std::string& backend, const annal::test::temp_dir& dir,
                    const std::string& name) {
  return backend == "segment" ? "segment:" + dir.file(name) : "sqlite:" + dir.file(name + ".db");
}

constexpr std::int64_t price = 1250;

// Returns false when any request failed.
bool run_backend(const std::string& backend, std::size_t clients, std::size_t orders) {
  annal::test::temp_dir dir;
  std::printf("backend %s: %zu clients, %zu orders (create, add an item, pay: 3 requests each)\n",
              backend.c_str(), clients, orders);

  order_service::server_options options;
  options.store_uri = uri_for(backend, dir, "http");
  options.port = 0;
  order_service::server server(options);
  std::thread serving([&] { server.run(); });
  std::vector<std::string> customers;
  for (std::size_t i = 0; i < 50; ++i) {
    customers.push_back(server.app().register_customer({"load", "load@example.com"}).id);
  }
  std::vector<std::string> order_ids(orders);
  std::vector<api_client> connections;
  for (std::size_t c = 0; c < clients; ++c) connections.emplace_back("127.0.0.1", server.port());

  auto writes = run_clients(clients, orders, [&](std::size_t c, std::size_t i, const auto& timed) {
    api_client& api = connections[c];
    std::string id;
    timed([&] {
      auto reply = api.post(
          "/orders", json{{"customer_id", customers[i % customers.size()]}, {"currency", "EUR"}});
      if (reply.status != 201) return false;
      id = reply.body["id"];
      return true;
    });
    if (id.empty()) return;
    order_ids[i] = id;
    std::string path = "/orders/" + id;
    timed([&] {
      return api.post(path + "/items",
                      json{{"sku", "book-42"}, {"quantity", 2}, {"unit_price_cents", price}})
                 .status == 200;
    });
    timed([&] {
      return api.post(path + "/payment", json{{"amount_cents", 2 * price}}).status == 200;
    });
  });

  auto reads =
      run_clients(clients, orders * 3, [&](std::size_t c, std::size_t i, const auto& timed) {
        timed([&] {
          auto reply = connections[c].get("/orders/" + order_ids[i % orders]);
          return reply.status == 200 && reply.body["status"] == "paid";
        });
      });
  server.stop();
  serving.join();

  // Ceiling: the same commands through the service in-process, on a fresh store.
  auto store = annal::open_store(uri_for(backend, dir, "direct"));
  order_service::service app(*store);
  std::vector<std::string> direct_customers;
  for (std::size_t i = 0; i < 50; ++i) {
    direct_customers.push_back(app.register_customer({"load", "load@example.com"}).id);
  }
  auto direct = run_clients(clients, orders, [&](std::size_t, std::size_t i, const auto& timed) {
    std::string id;
    timed([&] {
      id = app.create_order({direct_customers[i % direct_customers.size()], "EUR"}).id;
      return true;
    });
    timed([&] {
      app.execute(id, order_service::add_item{"book-42", 2, price});
      return true;
    });
    timed([&] {
      return app.execute(id, order_service::pay_order{2 * price}).state.status ==
             order_service::order_status::paid;
    });
  });
  store->close();

  std::printf("  HTTP writes     %8.0f req/s   p50 %6.2f ms   p99 %6.2f ms   errors %zu\n",
              writes.rate(), writes.percentile(0.5), writes.percentile(0.99), writes.errors);
  std::printf(
      "  ceiling: same commands in-process (no HTTP) %8.0f commands/s   p50 %6.2f ms   "
      "p99 %6.2f ms   HTTP/ceiling %.2f\n",
      direct.rate(), direct.percentile(0.5), direct.percentile(0.99),
      writes.rate() / direct.rate());
  std::printf(
      "  HTTP reads (GET an order) %8.0f req/s   p50 %6.2f ms   p99 %6.2f ms   errors %zu\n",
      reads.rate(), reads.percentile(0.5), reads.percentile(0.99), reads.errors);
  return writes.errors == 0 && reads.errors == 0 && direct.errors == 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t clients = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 8;
  std::size_t orders = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 2000;
  if (clients == 0 || orders == 0) {
    std::fprintf(stderr, "usage: order_service_load [CLIENTS [ORDERS]]\n");
    return 2;
  }
  bool ok = true;
  for (const char* backend : {"sqlite", "segment"})
    ok = run_backend(backend, clients, orders) && ok;
  if (!ok) std::printf("FAILED: some requests failed\n");
  return ok ? 0 : 1;
}
