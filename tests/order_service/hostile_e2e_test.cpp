// End-to-end tests of the service against hostile or broken clients: floods of connections,
// oversized and deeply nested bodies, pipelining, out-of-range numbers, malformed headers and
// query parameters, and listen addresses.
#include <signal.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "e2e_fixture.hpp"
#include "support/raw_http.hpp"

using namespace order_service::test;
using annal::test::raw_connection;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

std::string http_request(const std::string& method, const std::string& target,
                         const std::string& body = {}) {
  std::string text = method + " " + target + " HTTP/1.1\r\nHost: t\r\n";
  if (method != "GET") text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return text + "\r\n" + body;
}

}  // namespace

// The held connections keep their slots for two minutes; the reply is awaited for 10 s, so a
// loaded machine cannot fail the test, while a server starved by held connections still would.
TEST_CASE("with 500 idle and 16 slow-header connections open, the service still answers",
          "[e2e][hostile]") {
  REQUIRE(annal::test::raise_open_file_limit() >= 1200);
  annal::test::temp_dir dir;
  // The default limits, but idle connections kept long enough to be sure they are all open.
  running_server server(store_uri(dir), [](order_service::server_options& o) {
    o.http.idle_timeout = seconds(120);
    o.http.header_timeout = seconds(120);
  });
  auto api = server.client();
  std::string order = new_order(api, new_customer(api));

  std::vector<raw_connection> idle;
  for (int i = 0; i < 500; ++i) idle.emplace_back(server.get().port());
  annal::test::slow_header_clients slow(server.get().port(), 16, "/orders");
  // All of them accepted (and the test client's own connection).
  REQUIRE(eventually([&] { return server.get().open_connections() >= 516; }));
  for (int round = 0; round < 3; ++round) {
    raw_connection client(server.get().port());
    REQUIRE(client.send(http_request("GET", "/orders/" + order)));
    auto reply = client.read_reply(seconds(10));
    INFO("round " << round);
    REQUIRE(reply);
    CHECK(reply->status == 200);
  }
  std::size_t closed = slow.closed_by_peer();
  for (auto& c : idle) closed += c.closed_by_peer() ? 1 : 0;
  CHECK(closed == 0);
}

TEST_CASE("a body over the limit gets 413, JSON nested too deep gets 400, neither writes",
          "[e2e][hostile]") {
  annal::test::temp_dir dir;
  running_server server(store_uri(dir));
  auto api = server.client();
  std::string customer = new_customer(api);
  std::string path = "/orders/" + new_order(api, customer);

  // 2 MiB of nested arrays: over the 1 MiB default, refused before it is read.
  std::string nested(1 << 20, '[');
  nested += std::string(1 << 20, ']');
  require_error(api.post_text(path + "/items", nested), 413, "body_too_large");
  // Within the size limit but nested deeper than 256 levels.
  std::string deep = "{\"sku\":" + std::string(300, '[') + std::string(300, ']') + "}";
  require_error(api.post_text(path + "/items", deep), 400, "invalid_json", "body");
  std::string just_enough = "{\"sku\":" + std::string(255, '[') + std::string(255, ']') + "}";
  require_error(api.post_text(path + "/items", just_enough), 400, "invalid_field", "sku");
  CHECK(version_of(api, path.substr(8)) == 1);
}

TEST_CASE("pipelined requests are all executed and answered in order", "[e2e][hostile]") {
  annal::test::temp_dir dir;
  running_server server(store_uri(dir));
  auto api = server.client();
  std::string path = "/orders/" + new_order(api, new_customer(api));

  raw_connection client(server.get().port());
  std::string batch;
  for (int i = 0; i < 3; ++i) batch += http_request("GET", path);
  for (int i = 0; i < 5; ++i) {
    batch += http_request("POST", path + "/items", item("sku-" + std::to_string(i), 1, 100).dump());
  }
  REQUIRE(client.send(batch));
  for (int i = 0; i < 8; ++i) {
    auto reply = client.read_reply(seconds(30));
    INFO("reply " << i);
    REQUIRE(reply);
    REQUIRE(reply->status == 200);
    // Each POST's reply shows the order after it: versions 2 to 6, in the order sent.
    CHECK(reply->header("ETag") == etag(i < 3 ? 1 : i - 1));
  }
  auto order = api.get(path).body;
  CHECK(order["version"] == 6);
  CHECK(order["items"].size() == 5);
}

TEST_CASE("numbers beyond any range get 400 naming the field", "[e2e][hostile]") {
  annal::test::temp_dir dir;
  running_server server(store_uri(dir));
  auto api = server.client();
  std::string path = "/orders/" + new_order(api, new_customer(api));

  std::string huge(400, '9');
  require_error(
      api.post_text(path + "/items", R"({"sku":"mug-1","quantity":1e400,"unit_price_cents":5})"),
      400, "invalid_field", "quantity");
  require_error(api.post_text(path + "/items",
                              R"({"sku":"mug-1","quantity":1,"unit_price_cents":)" + huge + "}"),
                400, "invalid_field", "unit_price_cents");
  require_error(api.post_text(path + "/payment", R"({"amount_cents":-1e400})"), 400,
                "invalid_field", "amount_cents");
  require_error(api.post_text(path + "/items", "[1e400]"), 400, "invalid_field", "[0]");
  CHECK(version_of(api, path.substr(8)) == 1);
}

TEST_CASE("an empty or repeated If-Match is refused, not taken as absent", "[e2e][hostile]") {
  annal::test::temp_dir dir;
  running_server server(store_uri(dir));
  auto api = server.client();
  std::string path = "/orders/" + new_order(api, new_customer(api));

  raw_connection client(server.get().port());
  std::string body = item("mug-1", 1, 800).dump();
  for (const std::string& header : {std::string("If-Match:\r\n"), std::string("If-Match:   \r\n"),
                                    std::string("If-Match: \"1\"\r\nIf-Match: \"1\"\r\n"),
                                    std::string("If-Match: W/\"1\"\r\n")}) {
    INFO(header);
    REQUIRE(client.send("POST " + path + "/items HTTP/1.1\r\nHost: t\r\n" + header +
                        "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body));
    auto reply = client.read_reply();
    REQUIRE(reply);
    CHECK(reply->status == 400);
    auto error = json::parse(reply->body);
    CHECK(error["error"] == "invalid_field");
    CHECK(error["field"] == "If-Match");
  }
  CHECK(version_of(api, path.substr(8)) == 1);
}

TEST_CASE("every query parameter is validated, and unknown ones are refused", "[e2e][hostile]") {
  annal::test::temp_dir dir;
  running_server server(store_uri(dir));
  auto api = server.client();
  require_error(api.get("/orders?after=9223372036854775808"), 400, "invalid_field", "after");
  require_error(api.get("/orders?after=18446744073709551616"), 400, "invalid_field", "after");
  require_error(api.get("/orders?limit=%2B5"), 400, "invalid_field", "limit");
  require_error(api.get("/orders?limit=5&limit=6"), 400, "invalid_field", "limit");
  require_error(api.get("/orders?page=2"), 400, "invalid_field", "page");
  require_error(api.get("/revenue?from=----------"), 400, "invalid_field", "from");
  require_error(api.get("/revenue?from=2026-99-99"), 400, "invalid_field", "from");
  require_error(api.get("/revenue?to=2026-02-29"), 400, "invalid_field", "to");
  require_error(api.get("/revenue?from=+026-01-01"), 400, "invalid_field", "from");
  require_error(api.get("/projections?verbose=1"), 400, "invalid_field", "verbose");
  require_error(api.get("/orders/01890000-0000-7000-8000-000000000000?x=1"), 400, "invalid_field",
                "x");
  CHECK(api.get("/orders?after=9223372036854775807").status == 200);
  CHECK(api.get("/revenue?from=2024-02-29&to=2026-12-31").status == 200);
}

TEST_CASE("listen addresses are parsed strictly; a bracketed IPv6 address is served",
          "[e2e][hostile]") {
  annal::test::temp_dir dir;
  std::string uri = store_uri(dir);
  for (const char* bad : {"127.0.0.1:8080junk", "::1:0", "127.0.0.1", "localhost:99999"}) {
    auto refused = run_program({"serve", "--store", uri, "--listen", bad});
    INFO(bad << ": " << refused.output);
    CHECK(refused.status != 0);
    CHECK(refused.output.find("bad listen address") != std::string::npos);
  }
  child_process program(uri, {}, "[::1]:0");
  CHECK(program.startup_output().find("listening on http://[::1]:") != std::string::npos);
  raw_connection client(program.port(), "::1");
  REQUIRE(client.send(http_request("GET", "/orders")));
  auto reply = client.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(program.stop_with(SIGTERM) == 0);
}
