// The order service as a running program: store, use cases, read models and HTTP listener.
#pragma once

#include <annal/annal.hpp>
#include <annal/projection_runner.hpp>
#include <annal_http/server.hpp>
#include <memory>
#include <string>

#include "server_log.hpp"
#include "service.hpp"

namespace order_service {

/// Where the server keeps its data and where it listens.
struct server_options {
  /// The store URI, as for annal::open_store; a missing parent directory of a `sqlite:` file is
  /// created.
  std::string store_uri = "sqlite:data/orders.db";
  /// The SQLite file of the read models; empty means beside the store (see
  /// default_read_model_path).
  std::string read_model_path;
  /// An IPv4 or IPv6 address (without brackets) or a host name.
  std::string host = "127.0.0.1";
  /// 0 to 65535; 0 picks a free port, port() tells which.
  int port = 8080;
  /// How many times a command without If-Match is retried after a conflicting write before the
  /// API answers 409 "write_conflict".
  unsigned max_retries = 20;
  /// Print one line per request to standard error, client-controlled fields escaped.
  bool access_log = false;
  /// Limits, deadlines and worker threads of the HTTP server (see annal::http::server_options
  /// and docs/order-service.md, "Limits"); the server sets its address, logs and error replies.
  annal::http::server_options http;
  /// The server log (internal errors, projection failures, unreadable stored data). Empty:
  /// standard error, each line prefixed with "order-service: ".
  server_log log;
  /// A signer key's text (`annal keygen` writes NAME.key): with one, the server keeps signed
  /// checkpoints of its log every `checkpoint_every_batches` batches (annal::checkpoint_keeper,
  /// docs/integrity.md). Secret: never logged.
  std::string checkpoint_key;
  std::uint64_t checkpoint_every_batches = 1000;
};

/// Owns the store, the service, the projection runner with the read models (order summaries,
/// revenue) and the HTTP listener. The constructor opens the store and the read models, binds
/// the port and starts the projections, so a client may connect as soon as it returns (requests
/// wait until run()).
///
/// Shutdown: stop() makes run() stop accepting connections, close idle ones, finish the
/// requests in progress (each answered with "Connection: close"), stop the projections, then
/// close the store.
///
/// Throws from the constructor: annal's errors when the store cannot be opened,
/// annal::http::listen_error when the address cannot be bound, std::invalid_argument for a port
/// outside 0-65535 or bad HTTP limits. Thread safety: stop() may be called from any thread (not
/// from a signal handler); the rest from one thread.
class server {
 public:
  explicit server(server_options options);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// The bound port.
  int port() const noexcept { return http_->port(); }
  /// HTTP connections open now (for monitoring and tests).
  std::size_t open_connections() const noexcept { return http_->open_connections(); }
  /// "http://HOST:PORT" ("http://[::1]:PORT" for IPv6).
  std::string base_url() const;
  service& app() noexcept { return *app_; }
  /// The store the server owns, open until run() returns.
  annal::event_store& store() noexcept { return *store_; }
  annal::projection_runner& projections() noexcept { return *projections_; }

  /// Serves requests until stop(), then drains and closes the store. Returns at once when
  /// stop() came first.
  void run();
  /// Asks run() to return. Idempotent.
  void stop();

 private:
  server_options options_;
  std::unique_ptr<annal::event_store> store_;
  std::unique_ptr<service> app_;
  std::unique_ptr<annal::projection_runner> projections_;
  std::unique_ptr<annal::checkpoint_keeper> checkpoints_;
  std::unique_ptr<annal::http::server> http_;
};

/// Overwrites `secret`'s bytes with zeros and empties it, in a way the compiler keeps.
void wipe_secret(std::string& secret) noexcept;

/// Creates the parent directory of a `sqlite:PATH` store's file when it is missing, so that a
/// fresh checkout can open `sqlite:data/orders.db`. Other URIs are left alone.
void prepare_store_location(const std::string& uri);

/// Where the read models of the store at `uri` live by default: beside it, "data/orders.db" ->
/// "data/orders.read.db", "segment:data/log" -> "data/log.read.db"; for a PostgreSQL store
/// "data/orders.read.db" (created). Each instance keeps its read models in a SQLite file of its
/// own, built from the shared log; instances on one machine pass different files.
std::string default_read_model_path(const std::string& uri);

}  // namespace order_service
