// order-service: the command line of the sample order service (serve, seed).
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <exception>
#include <string>
#include <thread>

#include "seed.hpp"
#include "server.hpp"

namespace {

constexpr const char* default_store = "sqlite:data/orders.db";

// "HOST:PORT" -> host, port. Throws CLI::ValidationError when malformed.
std::pair<std::string, int> parse_listen(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw CLI::ValidationError("--listen", "expected ADDRESS:PORT, e.g. 127.0.0.1:8080");
  }
  int port = -1;
  try {
    port = std::stoi(address.substr(colon + 1));
  } catch (const std::exception&) {
  }
  if (port < 0 || port > 65535) throw CLI::ValidationError("--listen", "bad port in " + address);
  return {address.substr(0, colon), port};
}

void print_examples(const std::string& base, const order_service::seed_result& seeded) {
  const std::string json = " -H 'Content-Type: application/json'";
  std::printf(
      "\nTry it (paste into a shell; $ORDER keeps the new order's path):\n\n"
      "  # create an order for a seeded customer\n"
      "  ORDER=$(curl -s -o /dev/null -w '%%header{location}' -X POST %s/orders%s \\\n"
      "    -d '{\"customer_id\":\"%s\",\"currency\":\"EUR\"}'); echo $ORDER\n"
      "  # add items, apply a discount\n"
      "  curl -s -X POST %s$ORDER/items%s -d '{\"sku\":\"book-42\",\"quantity\":2,"
      "\"unit_price_cents\":1250}'; echo\n"
      "  curl -s -X POST %s$ORDER/items%s -d '{\"sku\":\"pen-7\",\"quantity\":3,"
      "\"unit_price_cents\":120}'; echo\n"
      "  curl -s -X POST %s$ORDER/discount%s -d '{\"code\":\"WELCOME10\",\"percent\":10}'; echo\n"
      "  # pay the total (2860 - 10%% = 2574 cents), then ship\n"
      "  curl -s -X POST %s$ORDER/payment%s -d '{\"amount_cents\":2574}'; echo\n"
      "  curl -s -X POST %s$ORDER/shipment%s -d '{\"tracking_id\":\"TRACK-1\"}'; echo\n"
      "  # the order with its version in the ETag header, its history, and time travel\n"
      "  curl -si %s$ORDER; echo\n"
      "  curl -s %s$ORDER/events; echo\n"
      "  curl -s %s$ORDER/versions/3; echo\n"
      "  # refused: a stale If-Match (412), cancelling a shipped order (409), a bad field (400)\n"
      "  curl -si -X POST %s$ORDER/cancellation%s -H 'If-Match: \"1\"' -d '{}'; echo\n"
      "  curl -si -X POST %s$ORDER/cancellation%s -d '{\"reason\":\"too late\"}'; echo\n"
      "  curl -si -X POST %s/orders%s -d '{\"customer_id\":\"%s\",\"currency\":\"euro\"}'; echo\n"
      "  # a seeded order and its customer\n"
      "  curl -s %s/orders/%s; echo\n"
      "  curl -s %s/customers/%s; echo\n\n",
      base.c_str(), json.c_str(), seeded.customer_ids.front().c_str(), base.c_str(), json.c_str(),
      base.c_str(), json.c_str(), base.c_str(), json.c_str(), base.c_str(), json.c_str(),
      base.c_str(), json.c_str(), base.c_str(), base.c_str(), base.c_str(), base.c_str(),
      json.c_str(), base.c_str(), json.c_str(), base.c_str(), json.c_str(),
      seeded.customer_ids.front().c_str(), base.c_str(), seeded.order_ids.front().c_str(),
      base.c_str(), seeded.customer_ids.front().c_str());
}

// Serves until SIGINT or SIGTERM, then shuts down gracefully. Returns the exit status.
int serve(const std::string& store_uri, const std::string& listen, std::size_t seed_orders,
          bool access_log) {
  // Block the stop signals in every thread (threads inherit the mask), and take them in one
  // thread with sigwait, where it is safe to call anything.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto [host, port] = parse_listen(listen);
  order_service::server_options options;
  options.store_uri = store_uri;
  options.host = host;
  options.port = port;
  options.access_log = access_log;
  order_service::server server(options);

  std::atomic<bool> signalled{false};
  std::thread watcher([&] {
    int received = 0;
    sigwait(&stop_signals, &received);
    if (!signalled.exchange(true)) {
      std::fprintf(stderr, "order-service: %s received, finishing requests in progress\n",
                   received == SIGINT ? "SIGINT" : "SIGTERM");
      server.stop();
    }
  });

  if (seed_orders > 0) {
    auto seeded = order_service::seed(server.app(), seed_orders);
    std::printf("seeded %zu orders for %zu customers (%zu paid, %zu shipped, %zu cancelled)\n",
                seeded.order_ids.size(), seeded.customer_ids.size(), seeded.paid, seeded.shipped,
                seeded.cancelled);
    print_examples(server.base_url(), seeded);
  }
  std::printf("order-service: store %s, listening on %s (Ctrl-C stops)\n", store_uri.c_str(),
              server.base_url().c_str());
  std::fflush(stdout);
  server.run();
  if (!signalled.exchange(true)) pthread_kill(watcher.native_handle(), SIGTERM);
  watcher.join();
  std::fprintf(stderr, "order-service: stopped, store closed\n");
  return 0;
}

int seed_store(const std::string& store_uri, std::size_t orders, std::uint32_t random_seed) {
  order_service::prepare_store_location(store_uri);
  auto store = annal::open_store(store_uri);
  order_service::service app(*store);
  auto seeded = order_service::seed(app, orders, random_seed);
  std::printf("seeded %zu orders for %zu customers (%zu paid, %zu shipped, %zu cancelled)\n",
              seeded.order_ids.size(), seeded.customer_ids.size(), seeded.paid, seeded.shipped,
              seeded.cancelled);
  store->close();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"order-service: the sample order service built on annal"};
  app.require_subcommand(1);

  std::string store_uri = default_store;
  std::string listen = "127.0.0.1:8080";
  std::size_t seed_orders = 0;
  bool access_log = false;
  auto* serve_command = app.add_subcommand("serve", "Run the HTTP API until SIGINT or SIGTERM");
  serve_command->add_option("--store", store_uri, "Store URI: sqlite:FILE or segment:DIR")
      ->capture_default_str();
  serve_command->add_option("--listen", listen, "Address and port; port 0 picks a free one")
      ->capture_default_str();
  serve_command->add_option("--seed", seed_orders,
                            "Seed this many orders first and print curl examples");
  serve_command->add_flag("--access-log", access_log, "Print one line per request to stderr");

  std::size_t orders = 100;
  std::uint32_t random_seed = 42;
  auto* seed_command = app.add_subcommand("seed", "Create realistic customers and orders");
  seed_command->add_option("--store", store_uri, "Store URI: sqlite:FILE or segment:DIR")
      ->capture_default_str();
  seed_command->add_option("--orders", orders, "How many orders")->capture_default_str();
  seed_command->add_option("--random-seed", random_seed, "Seed of the generator")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  try {
    if (*serve_command) return serve(store_uri, listen, seed_orders, access_log);
    if (*seed_command) return seed_store(store_uri, orders, random_seed);
  } catch (const CLI::Error& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "order-service: %s\n", e.what());
    return 1;
  }
  return 0;
}
