// End-to-end tests of what the service shows: stored data it cannot read (written by another
// tool or an older version), internal details that stay in the server log, passwords that are
// never printed, escaped access logs, and read models that say when they are not live.
#include <signal.h>

#include <annal/read_model_reader.hpp>
#include <catch2/catch.hpp>
#include <mutex>
#include <string>
#include <vector>

#include "e2e_fixture.hpp"
#include "order_summaries.hpp"
#include "revenue.hpp"
#include "support/raw_http.hpp"
#include "support/raw_sqlite.hpp"

using namespace order_service::test;
using annal::test::raw_connection;
using nlohmann::json;

namespace {

// The server log of a running_server, kept for the test to read.
struct captured_log {
  std::mutex mutex;
  std::string text;

  std::function<void(order_service::server_options&)> install() {
    return [this](order_service::server_options& o) {
      o.log = [this](std::string_view line) {
        std::lock_guard lock(mutex);
        text.append(line).append("\n");
      };
    };
  }
  bool contains(const std::string& part) {
    std::lock_guard lock(mutex);
    return text.find(part) != std::string::npos;
  }
};

// Appends an event to the stream of order `id` behind annal's back, with a raw SQLite insert
// into the store file, as another tool or an older annal could have written it.
void insert_raw_event(const std::string& store_file, const std::string& id, const std::string& type,
                      const std::string& payload) {
  std::string stream = "order-" + id;
  std::string sql =
      "PRAGMA busy_timeout = 10000; BEGIN IMMEDIATE;"
      "INSERT INTO events (position, stream_key, stream_version, type, event_id, timestamp_us,"
      " encoding, metadata, payload)"
      " SELECT (SELECT MAX(position) FROM events) + 1, stream_key, version + 1, '" + type + "',"
      " randomblob(16), 1700000000000000, 1, NULL, '" + payload + "'"
      " FROM streams WHERE stream_id = '" + stream + "';"
      "UPDATE streams SET version = version + 1 WHERE stream_id = '" + stream + "'; COMMIT;";
  std::string message;
  INFO(message);
  REQUIRE(annal::test::raw_exec(store_file, sql, &message) == 0);
}

// A server on a new SQLite store with one order, `id`, to which an event with `payload` was
// appended behind annal's back.
struct order_with_raw_event {
  annal::test::temp_dir dir;
  captured_log log;
  running_server server;
  api_client api;
  std::string id;

  order_with_raw_event(const std::string& type, const std::string& payload)
      : server(store_uri(dir), log.install()),
        api(server.client()),
        id(new_order(api, new_customer(api))) {
    insert_raw_event(dir.file("orders.db"), id, type, payload);
  }
};

}  // namespace

TEST_CASE("a stored payload nested 100,000 deep is shown as unreadable, without a crash",
          "[e2e][stored_data]") {
  if (backend() != "sqlite") return;  // the raw insert needs the SQLite store file
  order_with_raw_event stored("order.item_added",
                              std::string(100000, '[') + std::string(100000, ']'));
  auto& [dir, log, server, api, id] = stored;

  auto history = api.get("/orders/" + id + "/events");
  REQUIRE(history.status == 200);
  REQUIRE(history.body.size() == 2);
  CHECK(history.body[0]["data"]["currency"] == "EUR");
  CHECK(history.body[1]["type"] == "order.item_added");
  CHECK(history.body[1]["data"].is_null());
  CHECK(history.body[1]["data_error"] == "stored_data_unreadable");
  CHECK(log.contains("nested deeper than 256 levels"));

  require_error(api.get("/orders/" + id), 500, "stored_data_unreadable");
  CHECK(api.get("/orders/" + id).text.find('[') == std::string::npos);
}

TEST_CASE("a stored event that cannot be decoded is a 500 saying so, the details only in the log",
          "[e2e][stored_data]") {
  if (backend() != "sqlite") return;  // the raw insert needs the SQLite store file
  order_with_raw_event stored("order.item_added", R"({"sku":7})");
  auto& [dir, log, server, api, id] = stored;

  for (const std::string& path : {"/orders/" + id, "/orders/" + id + "/versions/2"}) {
    auto reply = api.get(path);
    INFO(path);
    require_error(reply, 500, "stored_data_unreadable");
    CHECK(reply.text.find("sku") == std::string::npos);
  }
  require_error(api.post("/orders/" + id + "/items", item("mug-1", 1, 800)), 500,
                "stored_data_unreadable");
  CHECK(log.contains("sku"));
  // The history shows the stored payload as it is: valid JSON, within the nesting limit.
  auto history = api.get("/orders/" + id + "/events");
  REQUIRE(history.status == 200);
  CHECK(history.body[1]["data"] == json{{"sku", 7}});
}

TEST_CASE("a failing read model is reported as not live, its error only in the server log",
          "[e2e][stored_data]") {
  annal::test::temp_dir dir;
  captured_log log;
  running_server server(store_uri(dir), log.install());
  auto api = server.client();
  std::string customer = new_customer(api);
  new_order(api, customer);
  auto& runner = server.get().projections();
  auto head = server.get().app().store().head_position();
  for (const char* name : {order_service::order_summaries_name, order_service::revenue_name}) {
    REQUIRE(runner.wait_until(name, head, std::chrono::seconds(30)));
  }
  auto listed = api.get("/orders");
  REQUIRE(listed.status == 200);
  CHECK(listed.header("X-Read-Model-State") == "live");
  CHECK(listed.header("X-Read-Model-Lag") == "0");
  CHECK(listed.header("X-Read-Model-Position") == std::to_string(head));
  CHECK(api.get("/revenue").header("X-Read-Model-State") == "live");

  // A stopped projection serves what it has, and says it is stopped.
  runner.stop(order_service::revenue_name);
  auto revenue = api.get("/revenue");
  REQUIRE(revenue.status == 200);
  CHECK(revenue.header("X-Read-Model-State") == "stopped");

  // Make the listing's projection fail with an error that names a file and holds SQL.
  const std::string& read_models = runner.read_model_path();
  std::string table;
  {
    annal::read_model_reader reader(read_models);
    table = reader.current_table(order_service::order_summaries_name, "order_summary");
  }
  std::string message;
  REQUIRE(annal::test::raw_exec(read_models,
                                "PRAGMA busy_timeout = 10000; CREATE TRIGGER refuse BEFORE INSERT "
                                "ON " + table + " BEGIN SELECT RAISE(ABORT, "
                                "'cannot write /srv/secret/orders.read.db'); END;",
                                &message) == 0);
  new_order(api, customer);
  REQUIRE(eventually([&] { return !runner.status(order_service::order_summaries_name).error.empty(); }));

  listed = api.get("/orders");
  REQUIRE(listed.status == 200);
  CHECK(listed.header("X-Read-Model-State") != "live");
  CHECK(listed.body["orders"].size() == 1);  // what it has, not the new order
  for (const std::string& path : {std::string("/projections"),
                                  std::string("/projections/order_summaries")}) {
    auto status = api.get(path);
    INFO(status.text);
    REQUIRE(status.status == 200);
    CHECK(status.text.find("/srv/secret") == std::string::npos);
    CHECK(status.text.find(read_models) == std::string::npos);
    CHECK(status.text.find("INSERT") == std::string::npos);
    CHECK(status.text.find("the details are in the server log") != std::string::npos);
  }
  CHECK(log.contains("/srv/secret/orders.read.db"));
}

TEST_CASE("the program never prints a store password", "[e2e][stored_data]") {
  annal::test::temp_dir dir;
  // Nothing listens on port 1: the program fails, and its error must not show the password.
  auto failed = run_program(
      {"serve", "--store", "postgres://annal:s3cret-pw@127.0.0.1:1/db?connect_timeout=5",
       "--listen", "127.0.0.1:0"});
  INFO(failed.output);
  CHECK(failed.status == 1);
  CHECK(failed.output.find("s3cret-pw") == std::string::npos);
  if (backend() != "postgres") return;

  // On PostgreSQL (the test server lets the user in without checking a password): the start-up
  // line shows the store with the password masked.
  std::string uri = store_uri(dir);
  auto at = uri.find('@');
  REQUIRE(at != std::string::npos);
  std::string with_password = uri.substr(0, at) + ":s3cret-pw" + uri.substr(at);
  child_process program(with_password);
  INFO(program.startup_output());
  CHECK(program.startup_output().find("s3cret-pw") == std::string::npos);
  CHECK(program.startup_output().find(":***@") != std::string::npos);
  CHECK(program.stop_with(SIGTERM) == 0);
}

TEST_CASE("the access log escapes what clients send: no forged lines, no terminal escapes",
          "[e2e][stored_data]") {
  annal::test::temp_dir dir;
  child_process program(store_uri(dir), {"--access-log"}, "127.0.0.1:0", true);
  raw_connection client(program.port());
  REQUIRE(client.send("GET /orders/x%0a127.0.0.1:1%20%22GET%20/forged%22%20200%1b%5b2J "
                      "HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto reply = client.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 404);
  REQUIRE(client.send("GET /orders/\x9b" "2Jraw HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
  CHECK(client.read_reply());
  CHECK(program.stop_with(SIGTERM) == 0);
  std::string log = program.rest_of_output();
  INFO(log);
  CHECK(log.find("%0a127.0.0.1:1") != std::string::npos);
  for (char c : log) {
    CHECK((c == '\n' || (c >= 0x20 && c < 0x7f)));
  }
  for (std::size_t at = 0; (at = log.find('\n', at)) != std::string::npos; ++at) {
    CHECK(log.compare(at + 1, 12, "127.0.0.1:1 ") != 0);
  }
}
