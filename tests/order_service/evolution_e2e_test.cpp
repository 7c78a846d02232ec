// End-to-end test of event evolution: a store exported before order.item_added version 2, with
// cancellations under their earlier name, imported into the backend under test and served.
#include <annal/event_store.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "e2e_fixture.hpp"
#include "order_summaries.hpp"
#include "revenue.hpp"

using namespace order_service::test;
using nlohmann::json;

namespace {

std::string fixture(const std::string& name) {
  const char* dir = std::getenv("EVOLUTION_FIXTURE_DIR");
  REQUIRE(dir != nullptr);
  return std::string(dir) + "/" + name;
}

// Imports the export file `file` into the store `uri` with the annal tool.
void import_export_file(const std::string& uri, const std::string& file) {
  const char* tool = std::getenv("ANNAL_TOOL");
  REQUIRE(tool != nullptr);  // set by tests/order_service/meson.build when the tool is built
  std::string command = "'" + std::string(tool) + "' import '" + uri + "' < '" + file + "'";
  INFO(command);
  REQUIRE(std::system(command.c_str()) == 0);
}

// The orders as the service showed them before the evolution, by id.
std::map<std::string, json> orders_before() {
  std::ifstream in(fixture("orders-before-evolution.expected.jsonl"));
  std::map<std::string, json> orders;
  for (std::string line; std::getline(in, line);) {
    json order = json::parse(line);
    orders[order["id"]] = order;
  }
  REQUIRE(orders.size() == 12);
  return orders;
}

}  // namespace

TEST_CASE("orders stored before item_added version 2 and the cancellation rename load unchanged",
          "[e2e][evolution]") {
  if (std::getenv("ANNAL_TOOL") == nullptr) {
    WARN("built without the annal tool (-Dtools=false): nothing imports the fixture");
    return;
  }
  annal::test::temp_dir dir;
  std::string uri = store_uri(dir);
  import_export_file(uri, fixture("orders-before-evolution.jsonl"));

  // The deploy checks pass on the old data: the service's own, and annal types against the list
  // the service prints.
  auto check = run_program({"check-store", "--store", uri});
  INFO(check.output);
  CHECK(check.status == 0);
  CHECK(check.output.find("order.item_added v1: 33 events, read through upcasters\n") !=
        std::string::npos);
  CHECK(check.output.find("order.canceled v1: 2 events, read through upcasters\n") !=
        std::string::npos);
  CHECK(check.output.find("ok: 0 of 8 stored types the service cannot read\n") !=
        std::string::npos);
  auto readable = run_program({"readable-types"});
  REQUIRE(readable.status == 0);
  std::ofstream(dir.file("reads.txt")) << readable.output;
  std::string types_command = "'" + std::string(std::getenv("ANNAL_TOOL")) + "' types '" + uri +
                              "' --expect '" + dir.file("reads.txt") + "' > /dev/null";
  CHECK(std::system(types_command.c_str()) == 0);

  running_server server(uri);
  auto api = server.client();
  auto before = orders_before();

  std::int64_t paid = 0;
  std::int64_t refunded = 0;
  std::string open_order;
  std::string paid_order;
  for (const auto& [id, expected] : before) {
    auto reply = api.get("/orders/" + id);
    INFO(id);
    REQUIRE(reply.status == 200);
    CHECK(reply.body == expected);
    paid += expected["paid_cents"].get<std::int64_t>();
    if (expected["status"] == "cancelled") refunded += expected["paid_cents"].get<std::int64_t>();
    if (expected["status"] == "open") open_order = id;
    if (expected["status"] == "paid") paid_order = id;
  }
  // A paid order cancelled under the earlier name, as a release before the rename would store
  // it: the revenue read model refunds it only if it reads the old name.
  REQUIRE(!paid_order.empty());
  annal::event_data canceled;
  canceled.type = "order.canceled";
  canceled.payload = R"({"reason":"written by an earlier release"})";
  server.get().app().store().append("order-" + paid_order, annal::expected_version::any(),
                                    canceled);
  refunded += before.at(paid_order)["paid_cents"].get<std::int64_t>();
  REQUIRE(refunded > 0);
  CHECK(api.get("/orders/" + paid_order).body["status"] == "cancelled");

  // The read models, built from position 1, read the old versions and the old name too.
  auto head = server.get().app().store().head_position();
  for (const char* name : {order_service::order_summaries_name, order_service::revenue_name}) {
    REQUIRE(server.get().projections().wait_until(name, head, std::chrono::seconds(30)));
  }
  // Payments on the day the fixture was written, the refund on the day this test runs.
  std::int64_t revenue_paid = 0;
  std::int64_t revenue_refunded = 0;
  auto revenue = api.get("/revenue").body;
  for (const auto& day : revenue["days"]) {
    revenue_paid += day["paid_cents"].get<std::int64_t>();
    revenue_refunded += day["refunded_cents"].get<std::int64_t>();
  }
  CHECK(revenue_paid == paid);
  CHECK(revenue_refunded == refunded);
  auto listing = api.get("/orders?limit=100").body["orders"];
  REQUIRE(listing.size() == 12);
  for (const auto& summary : listing) {
    const json& expected = before.at(summary["id"]);
    CHECK(summary["status"] ==
          (summary["id"] == paid_order ? json("cancelled") : expected["status"]));
    CHECK(summary["total_cents"] == expected["total_cents"]);
  }

  // New events go on the old streams at today's version: the stream holds both.
  REQUIRE(!open_order.empty());
  std::string path = "/orders/" + open_order;
  REQUIRE(api.post(path + "/items", item("globe-9", 2, 4250)).status == 200);
  REQUIRE(api.post(path + "/cancellation", {{"reason", "changed mind"}}).status == 200);
  auto order = api.get(path).body;
  CHECK(order["status"] == "cancelled");
  CHECK(order["items"].size() == before.at(open_order)["items"].size() + 1);
  CHECK(order["items"].back() == json{{"sku", "globe-9"},
                                      {"quantity", 2},
                                      {"unit_price_cents", 4250},
                                      {"line_total_cents", 8500}});
  CHECK(order["subtotal_cents"] ==
        before.at(open_order)["subtotal_cents"].get<std::int64_t>() + 8500);
  std::map<std::string, int> stored;  // "type vN" -> count
  for (const auto& e : server.get().app().store().read_stream(
           "order-" + open_order, 1, annal::read_direction::forward, 100)) {
    ++stored[e.type + " v" + std::to_string(e.type_version)];
  }
  CHECK(stored["order.item_added v1"] >= 1);
  CHECK(stored["order.item_added v2"] == 1);
  CHECK(stored["order.cancelled v1"] == 1);
  auto history = api.get(path + "/events").body;
  CHECK(history.back()["type"] == "order.cancelled");
}

TEST_CASE("the deploy check finds an event type the service does not read", "[e2e][evolution]") {
  annal::test::temp_dir dir;
  std::string uri = store_uri(dir);
  {
    running_server server(uri);
    auto api = server.client();
    new_order(api, new_customer(api));
    annal::event_data refund;
    refund.type = "order.refunded";
    refund.type_version = 3;
    refund.payload = R"({"cents":100})";
    server.get().app().store().append("order-refunds", annal::expected_version::any(), refund);
  }
  auto check = run_program({"check-store", "--store", uri});
  INFO(check.output);
  CHECK(check.status == 1);
  CHECK(check.output.find("order.refunded v3: 1 events, NOT READ: no event type or upcaster\n") !=
        std::string::npos);
  CHECK(check.output.find("not ok: 1 of 4 stored types the service cannot read\n") !=
        std::string::npos);
  CHECK(run_program({"check-store", "--store", uri, "--every-event"}).status == 1);
}
