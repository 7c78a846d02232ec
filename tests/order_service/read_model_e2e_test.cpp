// End-to-end tests of the read models: the order listing, revenue per day, projection status and
// rebuilds, over HTTP and through the command line, on the backend under test.
#include <signal.h>

#include <annal/read_model_reader.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "e2e_fixture.hpp"
#include "order_summaries.hpp"
#include "revenue.hpp"
#include "seed.hpp"

using namespace order_service::test;
using nlohmann::json;

namespace {

// Waits until both projections have handled every event in the store.
void wait_for_projections(running_server& server) {
  auto head = server.get().app().store().head_position();
  for (const char* name : {order_service::order_summaries_name, order_service::revenue_name}) {
    bool caught_up = server.get().projections().wait_until(name, head, std::chrono::seconds(30));
    auto status = server.get().projections().status(name);
    INFO(name << " " << annal::render_progress_bar(status) << " " << status.error);
    REQUIRE(caught_up);
  }
}

// Every order of the listing (with `query` added), following next_after page by page.
json list_all(api_client& api, const std::string& query, int limit) {
  json all = json::array();
  std::string after = "0";
  for (int pages = 0; pages < 1000; ++pages) {
    auto reply = api.get("/orders?limit=" + std::to_string(limit) + "&after=" + after + query);
    REQUIRE(reply.status == 200);
    for (const auto& o : reply.body["orders"]) all.push_back(o);
    CHECK(reply.body["orders"].size() <= static_cast<std::size_t>(limit));
    if (reply.body["next_after"].is_null()) break;
    after = std::to_string(reply.body["next_after"].get<std::uint64_t>());
  }
  return all;
}

std::vector<std::string> ids_of(const json& orders) {
  std::vector<std::string> ids;
  for (const auto& o : orders) ids.push_back(o["id"]);
  return ids;
}

std::string current_table(running_server& server, const char* projection, const char* base) {
  annal::read_model_reader reader(server.get().projections().read_model_path());
  return reader.current_table(projection, base);
}

}  // namespace

TEST_CASE("the order listing pages through orders by status, and revenue adds up payments",
          "[e2e][read_model]") {
  annal::test::temp_dir dir;
  running_server server(store_uri(dir));
  auto api = server.client();
  std::string customer = new_customer(api);
  std::vector<std::string> ids;
  std::int64_t paid_total = 0;
  std::int64_t refunded = 0;
  for (int i = 0; i < 7; ++i) {
    std::string id = new_order(api, customer);
    std::string path = "/orders/" + id;
    ids.push_back(id);
    REQUIRE(api.post(path + "/items", item("book-42", i + 1, 1000)).status == 200);
    if (i % 2 == 0) {
      REQUIRE(api.post(path + "/payment", {{"amount_cents", (i + 1) * 1000}}).status == 200);
      paid_total += (i + 1) * 1000;
    }
    if (i == 4) REQUIRE(api.post(path + "/shipment", {{"tracking_id", "T"}}).status == 200);
    if (i == 1 || i == 6) REQUIRE(api.post(path + "/cancellation", json::object()).status == 200);
    if (i == 6) refunded = (i + 1) * 1000;
  }
  wait_for_projections(server);

  json all = list_all(api, "", 3);
  CHECK(ids_of(all) == ids);
  for (const auto& summary : all) {
    auto order = api.get("/orders/" + summary["id"].get<std::string>()).body;
    CHECK(summary["status"] == order["status"]);
    CHECK(summary["total_cents"] == order["total_cents"]);
    CHECK(summary["item_count"] == order["items"][0]["quantity"]);
    CHECK(summary["customer_id"] == customer);
  }
  CHECK(ids_of(list_all(api, "&status=paid", 1)) == std::vector<std::string>{ids[0], ids[2]});
  CHECK(ids_of(list_all(api, "&status=shipped", 5)) == std::vector<std::string>{ids[4]});
  CHECK(ids_of(list_all(api, "&status=cancelled", 5)) == std::vector<std::string>{ids[1], ids[6]});
  CHECK(ids_of(list_all(api, "&status=open", 5)) == std::vector<std::string>{ids[3], ids[5]});

  auto revenue = api.get("/revenue");
  REQUIRE(revenue.status == 200);
  REQUIRE(revenue.body["days"].size() == 1);
  const json& today = revenue.body["days"][0];
  CHECK(today["currency"] == "EUR");
  CHECK(today["orders_paid"] == 4);
  CHECK(today["paid_cents"] == paid_total);
  CHECK(today["refunded_cents"] == refunded);
  CHECK(today["net_cents"] == paid_total - refunded);
  std::string day = today["day"];
  CHECK(api.get("/revenue?from=" + day + "&to=" + day).body["days"].size() == 1);
  CHECK(api.get("/revenue?from=2000-01-01&to=2000-01-31").body["days"].empty());

  auto statuses = api.get("/projections");
  REQUIRE(statuses.status == 200);
  REQUIRE(statuses.body["projections"].size() == 2);
  for (const auto& p : statuses.body["projections"]) {
    CHECK(p["state"] == "live");
    CHECK(p["error"].is_null());
    CHECK(p["progress"].get<std::string>().find(p["name"].get<std::string>()) == 0);
  }
}

TEST_CASE("listing, revenue and projection requests are validated", "[e2e][read_model]") {
  annal::test::temp_dir dir;
  running_server server(store_uri(dir));
  auto api = server.client();
  require_error(api.get("/orders?status=lost"), 400, "invalid_field", "status");
  require_error(api.get("/orders?limit=0"), 400, "invalid_field", "limit");
  require_error(api.get("/orders?limit=101"), 400, "invalid_field", "limit");
  require_error(api.get("/orders?limit=ten"), 400, "invalid_field", "limit");
  require_error(api.get("/orders?after=-1"), 400, "invalid_field", "after");
  require_error(api.get("/revenue?from=2026-1-1"), 400, "invalid_field", "from");
  require_error(api.get("/revenue?to=yesterday"), 400, "invalid_field", "to");
  require_error(api.get("/projections/nope"), 404, "projection_not_found");
  require_error(api.post("/projections/nope/rebuild", json::object()), 404, "projection_not_found");
  auto empty = api.get("/orders");
  REQUIRE(empty.status == 200);
  CHECK(empty.body["orders"].empty());
  CHECK(empty.body["next_after"].is_null());
}

TEST_CASE("rebuilding a projection from the start of the log gives an identical listing",
          "[e2e][read_model]") {
  annal::test::temp_dir dir;
  std::string uri = store_uri(dir);
  json listing;
  json revenue;
  {
    running_server server(uri);
    auto api = server.client();
    order_service::seed(server.get().app(), 60);
    wait_for_projections(server);
    listing = list_all(api, "", 25);
    revenue = api.get("/revenue").body;
    REQUIRE(listing.size() == 60);

    for (const char* name : {order_service::order_summaries_name, order_service::revenue_name}) {
      INFO(name);
      const char* table =
          std::string(name) == order_service::revenue_name ? "revenue_day" : "order_summary";
      std::string before = current_table(server, name, table);
      auto started = api.post("/projections/" + std::string(name) + "/rebuild", json::object());
      REQUIRE(started.status == 202);
      CHECK(started.body["name"] == name);
      // The new build replaces the old one once it has caught up.
      REQUIRE(eventually([&] { return current_table(server, name, table) != before; }));
      auto status = api.get("/projections/" + std::string(name)).body;
      CHECK(status["error"].is_null());
      CHECK(status["serving_checkpoint"] == server.get().app().store().head_position());
    }
    CHECK(list_all(api, "", 25) == listing);
    CHECK(api.get("/revenue").body == revenue);
  }
  running_server restarted(uri);
  auto api = restarted.client();
  wait_for_projections(restarted);
  CHECK(list_all(api, "", 100) == listing);
  CHECK(api.get("/revenue").body == revenue);
}

TEST_CASE("the command line shows and rebuilds the projections of a running program",
          "[e2e][read_model]") {
  annal::test::temp_dir dir;
  child_process program(store_uri(dir));
  api_client api("127.0.0.1", program.port());
  std::string customer = new_customer(api);
  for (int i = 0; i < 5; ++i) new_order(api, customer);

  auto rebuilt = run_program({"rebuild", "order_summaries", "--server", program.base_url()});
  INFO(rebuilt.output);
  CHECK(rebuilt.status == 0);
  CHECK(rebuilt.output.find("order_summaries v1 live") != std::string::npos);
  CHECK(rebuilt.output.find("100.0%") != std::string::npos);
  CHECK(rebuilt.output.find("revenue") == std::string::npos);

  auto status = run_program({"status", "--server", program.base_url()});
  INFO(status.output);
  CHECK(status.status == 0);
  CHECK(status.output.find("order_summaries v1") != std::string::npos);
  CHECK(status.output.find("revenue v1") != std::string::npos);

  auto unknown = run_program({"rebuild", "nope", "--server", program.base_url()});
  CHECK(unknown.status == 1);
  CHECK(unknown.output.find("no projection named nope") != std::string::npos);
  CHECK(list_all(api, "", 10).size() == 5);
  CHECK(program.stop_with(SIGTERM) == 0);

  auto unreachable = run_program({"status", "--server", program.base_url()});
  CHECK(unreachable.status == 1);
  CHECK(unreachable.output.find("cannot reach the server") != std::string::npos);
}

TEST_CASE("order-service seed fills a store that the server then serves and lists",
          "[e2e][read_model]") {
  annal::test::temp_dir dir;
  std::string uri = store_uri(dir);
  auto seeded = run_program({"seed", "--store", uri, "--orders", "12"});
  INFO(seeded.output);
  REQUIRE(seeded.status == 0);
  CHECK(seeded.output.find("seeded 12 orders") != std::string::npos);

  running_server server(uri);
  auto api = server.client();
  wait_for_projections(server);
  json listed = list_all(api, "", 5);
  REQUIRE(listed.size() == 12);
  for (const auto& summary : listed) {
    auto order = api.get("/orders/" + summary["id"].get<std::string>());
    REQUIRE(order.status == 200);
    CHECK(order.body["status"] == summary["status"]);
    CHECK(order.body["total_cents"] == summary["total_cents"]);
  }
  auto bad = run_program({"seed", "--store", "nosuchscheme:x", "--orders", "1"});
  CHECK(bad.status == 1);
  CHECK(bad.output.find("order-service:") != std::string::npos);
}
