// order-service: the command line of the sample order service (serve, seed, status, rebuild,
// readable-types, check-store).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <annal_http/client.hpp>
#include <annal_http/listen_address.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "seed.hpp"
#include "server.hpp"
#include "store_check.hpp"

namespace {

constexpr const char* default_store = "sqlite:data/orders.db";

// "HOST:PORT" or "[IPv6]:PORT", strictly. Throws CLI::ValidationError saying what is wrong.
annal::http::listen_address parse_listen(const std::string& address) {
  try {
    return annal::http::parse_listen_address(address);
  } catch (const std::invalid_argument& e) {
    throw CLI::ValidationError("--listen", e.what());
  }
}

// Prints curl commands that work when pasted, for the server at `base` and the seeded data.
void print_examples(const std::string& program, const std::string& base,
                    const order_service::seed_result& seeded) {
  std::string text = R"(
Try it (paste into a shell; $ORDER keeps the new order's path):

  # create an order for a seeded customer
  ORDER=$(curl -s -o /dev/null -w '%header{location}' -X POST {base}/orders {json} \
    -d '{"customer_id":"{customer}","currency":"EUR"}'); echo $ORDER
  # add items, apply a discount
  curl -s -X POST {base}$ORDER/items {json} -d '{"sku":"book-42","quantity":2,"unit_price_cents":1250}'; echo
  curl -s -X POST {base}$ORDER/items {json} -d '{"sku":"pen-7","quantity":3,"unit_price_cents":120}'; echo
  curl -s -X POST {base}$ORDER/discount {json} -d '{"code":"WELCOME10","percent":10}'; echo
  # pay the total (2860 - 10% = 2574 cents), then ship
  curl -s -X POST {base}$ORDER/payment {json} -d '{"amount_cents":2574}'; echo
  curl -s -X POST {base}$ORDER/shipment {json} -d '{"tracking_id":"TRACK-1"}'; echo
  # the order with its version in the ETag header, its history, and time travel
  curl -si {base}$ORDER; echo
  curl -s {base}$ORDER/events; echo
  curl -s {base}$ORDER/versions/3; echo
  # refused: a stale If-Match (412), cancelling a shipped order (409), a bad field (400)
  curl -si -X POST {base}$ORDER/cancellation {json} -H 'If-Match: "1"' -d '{}'; echo
  curl -si -X POST {base}$ORDER/cancellation {json} -d '{"reason":"too late"}'; echo
  curl -si -X POST {base}/orders {json} -d '{"customer_id":"{customer}","currency":"euro"}'; echo
  # a seeded order and its customer
  curl -s {base}/orders/{order}; echo
  curl -s {base}/customers/{customer}; echo
  # read models: paid orders a page at a time, revenue per day, projection status, a rebuild
  curl -s '{base}/orders?status=paid&limit=5'; echo
  curl -s {base}/revenue; echo
  {program} status --server {base}
  {program} rebuild order_summaries --server {base}

)";
  auto replace_all = [&text](const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
  };
  replace_all("{json}", "-H 'Content-Type: application/json'");
  replace_all("{base}", base);
  replace_all("{customer}", seeded.customer_ids.front());
  replace_all("{order}", seeded.order_ids.front());
  replace_all("{program}", program);
  std::fputs(text.c_str(), stdout);
}

// Serves until SIGINT or SIGTERM, then shuts down gracefully. Returns the exit status.
// The text of the signer key file at `path`; empty for an empty path.
std::string read_key_file(const std::string& path) {
  if (path.empty()) return {};
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the checkpoint key file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int serve(const std::string& program, const std::string& store_uri, const std::string& listen,
          const std::string& read_models, std::size_t seed_orders, bool access_log,
          const annal::http::server_options& limits, const std::string& checkpoint_key_file,
          std::uint64_t checkpoint_every) {
  // Block the stop signals in every thread (threads inherit the mask), and take them in one
  // thread with sigwait, where it is safe to call anything.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto address = parse_listen(listen);
  order_service::server_options options;
  options.store_uri = store_uri;
  options.read_model_path = read_models;
  options.host = address.host;
  options.port = address.port;
  options.access_log = access_log;
  options.http = limits;
  options.checkpoint_key = read_key_file(checkpoint_key_file);
  options.checkpoint_every_batches = checkpoint_every;
  // Room for at least one body of the largest size.
  options.http.max_buffered_body_bytes =
      std::max(options.http.max_buffered_body_bytes, options.http.max_body_bytes);
  order_service::server server(options);
  order_service::wipe_secret(options.checkpoint_key);

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
    print_examples(program, server.base_url(), seeded);
  }
  // The URI may hold a password: print it masked.
  std::printf("order-service: store %s, listening on %s (Ctrl-C stops)\n",
              annal::redact_uri(store_uri).c_str(), server.base_url().c_str());
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

// GET or POST `path` on the running server; the reply's JSON body, or an exception saying why
// there is none.
nlohmann::json call_server(const std::string& server_url, const std::string& method,
                           const std::string& path, int expected_status) {
  annal::http::response res;
  try {
    res = annal::http::fetch(server_url, method, path);
  } catch (const annal::http::client_error& e) {
    throw std::runtime_error(std::string("cannot reach the server: ") + e.what() +
                             " (is `order-service serve` running? see --server)");
  }
  auto body = nlohmann::json::parse(res.body, nullptr, false);
  if (res.status != expected_status) {
    std::string message =
        body.is_object() && body.contains("message") && body["message"].is_string()
            ? body["message"].get<std::string>()
            : res.body;
    throw std::runtime_error(method + " " + path + ": " + std::to_string(res.status) + " " +
                             message);
  }
  return body;
}

int show_status(const std::string& server_url) {
  auto body = call_server(server_url, "GET", "/projections", 200);
  for (const auto& p : body["projections"]) {
    std::printf("%s\n", p["progress"].get<std::string>().c_str());
    if (!p["error"].is_null()) std::printf("  error: %s\n", p["error"].get<std::string>().c_str());
  }
  return 0;
}

// Asks the server to rebuild one projection (or all) from the start of the log and draws their
// progress bars until each is live again.
int rebuild(const std::string& server_url, const std::string& only) {
  std::vector<std::string> names;
  auto listed = call_server(server_url, "GET", "/projections", 200);
  for (const auto& p : listed["projections"]) {
    if (only.empty() || p["name"] == only) names.push_back(p["name"]);
  }
  if (names.empty()) throw std::runtime_error("no projection named " + only);
  for (const auto& name : names)
    call_server(server_url, "POST", "/projections/" + name + "/rebuild", 202);

  bool terminal = isatty(STDOUT_FILENO) != 0;
  for (bool first = true;; first = false) {
    std::vector<nlohmann::json> statuses;
    for (const auto& name : names) {
      statuses.push_back(call_server(server_url, "GET", "/projections/" + name, 200));
    }
    bool done = true;
    bool failed = false;
    for (const auto& s : statuses) {
      failed = failed || s["state"] == "failed";
      done = done && (s["state"] == "live" || s["state"] == "failed");
    }
    if (terminal || done) {
      // Redraw the bars in place on a terminal.
      if (terminal && !first) std::printf("\033[%zuA", statuses.size());
      for (const auto& s : statuses) {
        std::printf("%s%s\n", terminal ? "\r\033[K" : "", s["progress"].get<std::string>().c_str());
      }
      std::fflush(stdout);
    }
    if (done) {
      for (const auto& s : statuses) {
        if (!s["error"].is_null()) {
          std::fprintf(stderr, "%s: %s\n", s["name"].get<std::string>().c_str(),
                       s["error"].get<std::string>().c_str());
        }
      }
      return failed ? 1 : 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
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
  serve_command
      ->add_option("--store", store_uri,
                   "Store URI: sqlite:FILE, segment:DIR or postgres://USER@HOST:PORT/DB")
      ->capture_default_str();
  std::string read_models;
  serve_command->add_option("--read-models", read_models,
                            "SQLite file of the read models (default: beside a file store, "
                            "data/orders.read.db for PostgreSQL)");
  serve_command
      ->add_option("--listen", listen,
                   "HOST:PORT, an IPv6 address in brackets ([::1]:8080); port 0 picks a free one")
      ->capture_default_str();
  serve_command->add_option("--seed", seed_orders,
                            "Seed this many orders first and print curl examples");
  serve_command->add_flag("--access-log", access_log, "Print one line per request to stderr");
  std::string checkpoint_key_file;
  std::uint64_t checkpoint_every = 1000;
  serve_command->add_option("--checkpoint-key", checkpoint_key_file,
                            "Keep signed checkpoints of the log, signed with this key (NAME.key "
                            "from `annal keygen`)");
  serve_command
      ->add_option("--checkpoint-every", checkpoint_every,
                   "With --checkpoint-key: sign after every this many batches")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40))
      ->capture_default_str();
  annal::http::server_options limits;
  serve_command
      ->add_option("--max-body-bytes", limits.max_body_bytes,
                   "Largest request body; a larger one is refused with 413 before it is read")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  serve_command
      ->add_option("--max-connections", limits.max_connections,
                   "Connections open at once; one more is refused with 503")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);

  std::size_t orders = 100;
  std::uint32_t random_seed = 42;
  auto* seed_command = app.add_subcommand("seed", "Create realistic customers and orders");
  seed_command
      ->add_option("--store", store_uri,
                   "Store URI: sqlite:FILE, segment:DIR or postgres://USER@HOST:PORT/DB")
      ->capture_default_str();
  seed_command->add_option("--orders", orders, "How many orders")->capture_default_str();
  seed_command->add_option("--random-seed", random_seed, "Seed of the generator")
      ->capture_default_str();

  std::string server_url = "http://127.0.0.1:8080";
  auto* status_command =
      app.add_subcommand("status", "Show the projections of a running server, with progress bars");
  status_command->add_option("--server", server_url, "The server's base URL")
      ->capture_default_str();

  std::string projection;
  auto* rebuild_command = app.add_subcommand(
      "rebuild",
      "Rebuild a projection (all when none is named) from the start of the log, on a "
      "running server, with a live progress bar");
  rebuild_command->add_option("projection", projection, "order_summaries or revenue");
  rebuild_command->add_option("--server", server_url, "The server's base URL")
      ->capture_default_str();

  auto* readable_types_command = app.add_subcommand(
      "readable-types",
      "Print the event types and versions the service reads, for annal types --expect");
  bool every_event = false;
  auto* check_store_command = app.add_subcommand(
      "check-store",
      "Check that the service reads every event type and version the store holds (exit 1 if "
      "not): run it against production data before a deploy");
  check_store_command
      ->add_option("--store", store_uri,
                   "Store URI: sqlite:FILE, segment:DIR or postgres://USER@HOST:PORT/DB")
      ->capture_default_str();
  check_store_command->add_flag("--every-event", every_event,
                                "Decode every event, not the first and last of each type");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*serve_command)
      return serve(argv[0], store_uri, listen, read_models, seed_orders, access_log, limits,
                   checkpoint_key_file, checkpoint_every);
    if (*seed_command) return seed_store(store_uri, orders, random_seed);
    if (*status_command) return show_status(server_url);
    if (*rebuild_command) return rebuild(server_url, projection);
    if (*readable_types_command) {
      for (const auto& line : order_service::readable_event_types()) std::puts(line.c_str());
      return 0;
    }
    if (*check_store_command) return order_service::check_store(store_uri, every_event, stdout);
  } catch (const CLI::Error& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "order-service: %s\n", e.what());
    return 1;
  }
  return 0;
}
