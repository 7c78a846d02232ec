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
#include "order_summaries.hpp"
#include "revenue.hpp"
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
  void add(const figures& more) {
    requests += more.requests;
    errors += more.errors;
    seconds += more.seconds;
    latencies_ms.insert(latencies_ms.end(), more.latencies_ms.begin(), more.latencies_ms.end());
  }
  double percentile(double p) {
    if (latencies_ms.empty()) return 0;
    std::sort(latencies_ms.begin(), latencies_ms.end());
    auto at = static_cast<std::size_t>(p * static_cast<double>(latencies_ms.size() - 1));
    return latencies_ms[at];
  }
};

// Runs `work(client_index, item_index, timed)` for items first..first+count-1 spread over
// `clients` threads; `timed(fn)` runs fn, records its latency and counts it as an error when it
// returns false.
figures run_clients(
    std::size_t clients, std::size_t first, std::size_t count,
    const std::function<void(std::size_t, std::size_t,
                             const std::function<void(std::function<bool()>)>&)>& work) {
  figures result;
  std::mutex mutex;
  std::atomic<std::size_t> next{first};
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
      for (std::size_t i = next++; i < first + count; i = next++) work(c, i, timed);
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
  // The ceiling: the same commands through the server's own service, in this process, on the
  // same store with the same projections following it, without HTTP.
  order_service::service& app = server.app();
  std::vector<std::string> customers;
  for (std::size_t i = 0; i < 50; ++i) {
    customers.push_back(app.register_customer({"load", "load@example.com"}).id);
  }
  std::vector<std::string> order_ids(orders);
  std::vector<api_client> connections;
  for (std::size_t c = 0; c < clients; ++c) connections.emplace_back("127.0.0.1", server.port());

  auto http_orders = [&](std::size_t c, std::size_t i, const auto& timed) {
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
  };
  auto direct_orders = [&](std::size_t, std::size_t i, const auto& timed) {
    std::string id;
    timed([&] {
      id = app.create_order({customers[i % customers.size()], "EUR"}).id;
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
  };
  // Interleaved in rounds, so both see the same machine and disk conditions.
  constexpr std::size_t rounds = 4;
  figures writes;
  figures direct;
  for (std::size_t r = 0; r < rounds; ++r) {
    std::size_t first = orders * r / rounds;
    std::size_t count = orders * (r + 1) / rounds - first;
    direct.add(run_clients(clients, first, count, direct_orders));
    writes.add(run_clients(clients, first, count, http_orders));
  }

  // The read models must catch up with every order: wait for them, then count.
  auto head = server.app().store().head_position();
  auto wait_started = clock_type::now();
  bool caught_up = true;
  for (const char* name : {order_service::order_summaries_name, order_service::revenue_name}) {
    caught_up = server.projections().wait_until(name, head, std::chrono::seconds(120)) && caught_up;
  }
  double catch_up_ms =
      std::chrono::duration<double, std::milli>(clock_type::now() - wait_started).count();
  annal::read_model_reader reader(server.projections().read_model_path());
  std::size_t listed_paid = 0;
  for (std::uint64_t after = 0;;) {
    auto page = order_service::list_orders(reader, "paid", after, 100);
    listed_paid += page.orders.size();
    if (!page.next_after) break;
    after = *page.next_after;
  }
  std::int64_t revenue_cents = 0;
  for (const auto& day : order_service::revenue_per_day(reader, "", "")) {
    revenue_cents += day.paid_cents;
  }
  // Every order, through HTTP and in-process, was paid 2 * price.
  std::size_t expected_paid = 2 * orders;
  auto expected_cents = static_cast<std::int64_t>(expected_paid) * 2 * price;
  bool projected = caught_up && listed_paid == expected_paid && revenue_cents == expected_cents;

  auto reads =
      run_clients(clients, 0, orders * 3, [&](std::size_t c, std::size_t i, const auto& timed) {
        timed([&] {
          auto reply = connections[c].get("/orders/" + order_ids[i % orders]);
          return reply.status == 200 && reply.body["status"] == "paid";
        });
      });
  auto direct_reads =
      run_clients(clients, 0, orders * 3, [&](std::size_t, std::size_t i, const auto& timed) {
        timed([&] {
          return app.get_order(order_ids[i % orders]).state.status ==
                 order_service::order_status::paid;
        });
      });
  server.stop();
  serving.join();

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
  std::printf(
      "  ceiling: the same loads in-process %8.0f loads/s   p50 %6.2f ms   p99 %6.2f ms   "
      "HTTP/ceiling %.2f\n",
      direct_reads.rate(), direct_reads.percentile(0.5), direct_reads.percentile(0.99),
      reads.rate() / direct_reads.rate());
  std::printf(
      "  projections caught up %.0f ms after the last write: %s; listing holds %zu of %zu "
      "paid orders, revenue %lld of %lld cents\n",
      catch_up_ms, caught_up ? "yes" : "NO", listed_paid, expected_paid,
      static_cast<long long>(revenue_cents), static_cast<long long>(expected_cents));
  return writes.errors == 0 && reads.errors == 0 && direct.errors == 0 &&
         direct_reads.errors == 0 && projected;
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
  if (!ok) std::printf("FAILED: a request failed or the read models missed orders\n");
  return ok ? 0 : 1;
}
