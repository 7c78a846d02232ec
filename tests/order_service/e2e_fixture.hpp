// What the end-to-end tests share: the backend under test, the server in-process or as a
// program, and small request and assertion helpers.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "api_client.hpp"
#include "server.hpp"
#include "support/eventually.hpp"
#include "support/temp_dir.hpp"

namespace order_service::test {

/// The backend the e2e tests run on: ORDER_SERVICE_BACKEND, "sqlite" (default) or "segment".
std::string backend();
/// A store URI of the backend under test inside `dir`.
std::string store_uri(const annal::test::temp_dir& dir);

/// The sample's server in this process, on a free loopback port, serving on a thread until
/// destroyed.
class running_server {
 public:
  /// `adjust` may change the options (limits, the log) before the server is made.
  explicit running_server(const std::string& uri,
                          const std::function<void(order_service::server_options&)>& adjust = {});
  ~running_server();
  running_server(const running_server&) = delete;
  running_server& operator=(const running_server&) = delete;

  api_client client() const { return api_client("127.0.0.1", server_.port()); }
  order_service::server& get() noexcept { return server_; }

 private:
  order_service::server server_;
  std::thread thread_;
};

/// The order-service program started with `serve` on a free port of 127.0.0.1 (or `listen`),
/// with `extra` arguments; killed when destroyed unless stopped. ORDER_SERVICE_EXE names the
/// program. With `with_stderr`, standard error goes to the same pipe as standard output.
class child_process {
 public:
  explicit child_process(const std::string& uri, const std::vector<std::string>& extra = {},
                         const std::string& listen = "127.0.0.1:0", bool with_stderr = false);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  /// Sends `signal`, waits, and returns the exit status (-1 when it did not exit normally).
  int stop_with(int signal);
  /// What the program printed up to its "listening on" line, that line included.
  const std::string& startup_output() const { return startup_; }
  /// What the program printed after that line, until it exited (call after stop_with).
  std::string rest_of_output();

 private:
  pid_t pid_ = 0;
  FILE* output_ = nullptr;
  int port_ = 0;
  std::string startup_;
};

/// Runs the order-service program with `args` to completion; its exit status and its standard
/// output and error.
struct program_result {
  int status = -1;
  std::string output;
};
program_result run_program(const std::vector<std::string>& args);

/// `"3"` for version 3.
std::string etag(std::uint64_t version);
/// Registers a customer (REQUIREs 201) and returns its id.
std::string new_customer(api_client& api);
/// Creates an order in EUR for `customer` (REQUIREs 201) and returns its id.
std::string new_order(api_client& api, const std::string& customer);
/// The body of an add-item request.
nlohmann::json item(const std::string& sku, int quantity, std::int64_t price);
/// Checks an error reply: status, code, a message, and the field (none when empty).
void require_error(const api_reply& reply, int status, const std::string& code,
                   const std::string& field = {});
/// The order's current version (REQUIREs 200).
std::uint64_t version_of(api_client& api, const std::string& order_id);

using annal::test::eventually;

}  // namespace order_service::test
