// End-to-end tests: the real server on a free loopback port, driven over HTTP, on the backend
// named by ORDER_SERVICE_BACKEND ("sqlite", "segment" or "postgres").
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "e2e_fixture.hpp"

using namespace order_service::test;
using nlohmann::json;

TEST_CASE("an order goes through its whole life over HTTP", "[e2e]") {
  annal::test::temp_dir dir;
  running_server server(store_uri(dir));
  auto api = server.client();

  auto customer = api.post("/customers", json{{"name", "ada"}, {"email", "ada@example.com"}});
  REQUIRE(customer.status == 201);
  std::string customer_id = customer.body["id"];
  CHECK(customer.header("Location") == "/customers/" + customer_id);

  auto created = api.post("/orders", json{{"customer_id", customer_id}, {"currency", "EUR"}});
  REQUIRE(created.status == 201);
  std::string id = created.body["id"];
  std::string path = "/orders/" + id;
  CHECK(created.header("Location") == path);
  CHECK(created.header("ETag") == etag(1));
  CHECK(created.body["status"] == "open");
  CHECK(created.body["customer_id"] == customer_id);

  auto added = api.post(path + "/items", item("book-42", 2, 1250));
  REQUIRE(added.status == 200);
  CHECK(added.header("ETag") == etag(2));
  REQUIRE(api.post(path + "/items", item("pen-7", 3, 120)).status == 200);
  auto removed = api.del(path + "/items/pen-7");
  REQUIRE(removed.status == 200);
  CHECK(removed.body["items"].size() == 1);
  REQUIRE(api.post(path + "/items", item("pen-7", 3, 120)).status == 200);
  auto discounted = api.post(path + "/discount", json{{"code", "WELCOME10"}, {"percent", 10}});
  REQUIRE(discounted.status == 200);
  CHECK(discounted.body["subtotal_cents"] == 2860);
  CHECK(discounted.body["discount_cents"] == 286);
  CHECK(discounted.body["total_cents"] == 2574);

  auto paid = api.post(path + "/payment", json{{"amount_cents", 2574}});
  REQUIRE(paid.status == 200);
  CHECK(paid.body["status"] == "paid");
  CHECK(paid.body["paid_cents"] == 2574);
  auto shipped = api.post(path + "/shipment", json{{"tracking_id", "TRACK-1"}});
  REQUIRE(shipped.status == 200);
  CHECK(shipped.body["status"] == "shipped");
  CHECK(shipped.body["tracking_id"] == "TRACK-1");
  CHECK(shipped.header("ETag") == etag(8));

  auto fetched = api.get(path);
  REQUIRE(fetched.status == 200);
  CHECK(fetched.body == shipped.body);
  CHECK(fetched.header("ETag") == etag(8));
  auto owner = api.get("/customers/" + customer_id);
  REQUIRE(owner.status == 200);
  CHECK(owner.body["order_ids"] == json::array({id}));

  auto cancelled_id = new_order(api, customer_id);
  auto cancelled =
      api.post("/orders/" + cancelled_id + "/cancellation", json{{"reason", "changed my mind"}});
  REQUIRE(cancelled.status == 200);
  CHECK(cancelled.body["status"] == "cancelled");
  CHECK(cancelled.body["cancel_reason"] == "changed my mind");
}

TEST_CASE("an order's history lists its events and every version can be read back", "[e2e]") {
  annal::test::temp_dir dir;
  running_server server(store_uri(dir));
  auto api = server.client();
  std::string id = new_order(api, new_customer(api));
  std::string path = "/orders/" + id;

  std::vector<json> states{api.get(path).body};
  states.push_back(api.post(path + "/items", item("mug-1", 1, 800)).body);
  states.push_back(
      api.post(path + "/items", item("lamp-3", 2, 3499), {{"X-Correlation-Id", "req-42"}}).body);
  states.push_back(api.post(path + "/payment", json{{"amount_cents", 800 + 2 * 3499}}).body);

  auto history = api.get(path + "/events");
  REQUIRE(history.status == 200);
  REQUIRE(history.body.size() == 4);
  std::vector<std::string> types;
  for (const auto& e : history.body) types.push_back(e["type"]);
  CHECK(types == std::vector<std::string>{"order.created", "order.item_added", "order.item_added",
                                          "order.paid"});
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(history.body[i]["version"] == i + 1);
    CHECK(history.body[i]["recorded_at"].get<std::string>().back() == 'Z');
    if (i > 0) CHECK(history.body[i]["position"] > history.body[i - 1]["position"]);
  }
  CHECK(history.body[2]["correlation_id"] == "req-42");
  // Stored as order.item_added version 2: the price as a decimal string.
  CHECK(history.body[2]["type_version"] == 2);
  CHECK(history.body[2]["data"] ==
        json{{"sku", "lamp-3"}, {"quantity", 2}, {"unit_price", "34.99"}});
  CHECK(history.body[3]["type_version"] == 1);
  CHECK(history.body[3]["data"]["amount_cents"] == 7798);

  for (std::size_t version = 1; version <= 4; ++version) {
    auto past = api.get(path + "/versions/" + std::to_string(version));
    REQUIRE(past.status == 200);
    CHECK(past.header("ETag") == etag(version));
    CHECK(past.body == states[version - 1]);
  }
  require_error(api.get(path + "/versions/5"), 404, "version_not_found");
  require_error(api.get(path + "/versions/0"), 400, "invalid_field", "version");
  require_error(api.get(path + "/versions/two"), 400, "invalid_field", "version");
}

TEST_CASE("malformed requests get 400 naming the field, and change nothing", "[e2e]") {
  annal::test::temp_dir dir;
  running_server server(store_uri(dir));
  auto api = server.client();
  std::string customer = new_customer(api);
  std::string path = "/orders/" + new_order(api, customer);

  require_error(api.post_text("/orders", "{not json"), 400, "invalid_json", "body");
  require_error(api.post_text("/orders", "[1, 2]"), 400, "invalid_field", "body");
  require_error(api.post("/orders", json::object()), 400, "invalid_field", "customer_id");
  require_error(api.post("/orders", json{{"customer_id", customer}, {"currency", 978}}), 400,
                "invalid_field", "currency");
  require_error(api.post("/orders", json{{"customer_id", customer}, {"currency", "euro"}}), 400,
                "invalid_field", "currency");
  require_error(api.post("/customers", json{{"name", ""}, {"email", "a@b.c"}}), 400,
                "invalid_field", "name");
  require_error(api.post("/customers", json{{"name", "ada"}, {"email", "nope"}}), 400,
                "invalid_field", "email");

  json bad_quantity = item("mug-1", 1, 800);
  bad_quantity["quantity"] = "two";
  require_error(api.post(path + "/items", bad_quantity), 400, "invalid_field", "quantity");
  bad_quantity["quantity"] = 1'000'000'000'000;
  require_error(api.post(path + "/items", bad_quantity), 400, "invalid_field", "quantity");
  require_error(api.post(path + "/items", item("mug-1", 0, 800)), 400, "invalid_field", "quantity");
  require_error(api.post(path + "/items", item("mug 1", 1, 800)), 400, "invalid_field", "sku");
  require_error(api.post(path + "/items", item("mug-1", 1, -5)), 400, "invalid_field",
                "unit_price_cents");
  require_error(api.post(path + "/discount", json{{"code", "X"}, {"percent", 95}}), 400,
                "invalid_field", "percent");
  require_error(api.post(path + "/payment", json{{"amount_cents", 0}}), 400, "invalid_field",
                "amount_cents");
  require_error(api.post(path + "/shipment", json{{"tracking_id", ""}}), 400, "invalid_field",
                "tracking_id");
  require_error(api.post(path + "/items", item("mug-1", 1, 800), {{"If-Match", "\"abc\""}}), 400,
                "invalid_field", "If-Match");

  CHECK(api.get(path).body["version"] == 1);
}

TEST_CASE("unknown orders, customers, versions and routes are 404", "[e2e]") {
  annal::test::temp_dir dir;
  running_server server(store_uri(dir));
  auto api = server.client();
  std::string missing = "/orders/01890000-0000-7000-8000-000000000000";
  require_error(api.get(missing), 404, "order_not_found");
  require_error(api.get(missing + "/events"), 404, "order_not_found");
  require_error(api.get(missing + "/versions/1"), 404, "order_not_found");
  require_error(api.post(missing + "/items", item("mug-1", 1, 800)), 404, "order_not_found");
  require_error(api.post(missing + "/cancellation", json::object()), 404, "order_not_found");
  require_error(api.del(missing + "/items/mug-1"), 404, "order_not_found");
  require_error(api.get("/orders/not%20an%20id"), 404, "order_not_found");
  require_error(api.get("/customers/01890000-0000-7000-8000-000000000000"), 404,
                "customer_not_found");
  require_error(api.get("/no/such/route"), 404, "no_route");
}

TEST_CASE("a command the order's status forbids is 409, one its contents forbid is 422", "[e2e]") {
  annal::test::temp_dir dir;
  running_server server(store_uri(dir));
  auto api = server.client();
  std::string customer = new_customer(api);
  std::string path = "/orders/" + new_order(api, customer);

  require_error(api.post("/orders", json{{"customer_id", "01890000-0000-7000-8000-000000000000"},
                                         {"currency", "EUR"}}),
                422, "unknown_customer", "customer_id");
  require_error(api.post(path + "/payment", json{{"amount_cents", 100}}), 422, "order_empty");
  REQUIRE(api.post(path + "/items", item("mug-1", 2, 800)).status == 200);
  require_error(api.post(path + "/items", item("mug-1", 1, 900)), 422, "price_mismatch");
  require_error(api.del(path + "/items/lamp-3"), 422, "item_not_in_order");
  REQUIRE(api.post(path + "/discount", json{{"code", "TEN"}, {"percent", 10}}).status == 200);
  require_error(api.post(path + "/discount", json{{"code", "MORE"}, {"percent", 5}}), 422,
                "discount_already_applied");
  require_error(api.post(path + "/payment", json{{"amount_cents", 1600}}), 422, "amount_mismatch");
  require_error(api.post(path + "/shipment", json{{"tracking_id", "T-1"}}), 409, "order_not_paid");
  CHECK(version_of(api, path.substr(8)) == 3);

  REQUIRE(api.post(path + "/payment", json{{"amount_cents", 1440}}).status == 200);
  require_error(api.post(path + "/items", item("pen-7", 1, 120)), 409, "order_not_open");
  require_error(api.del(path + "/items/mug-1"), 409, "order_not_open");
  require_error(api.post(path + "/payment", json{{"amount_cents", 1440}}), 409, "order_not_open");
  REQUIRE(api.post(path + "/shipment", json{{"tracking_id", "T-1"}}).status == 200);
  require_error(api.post(path + "/shipment", json{{"tracking_id", "T-2"}}), 409,
                "order_already_shipped");
  require_error(api.post(path + "/cancellation", json::object()), 409, "order_already_shipped");

  std::string other = "/orders/" + new_order(api, customer);
  REQUIRE(api.post(other + "/cancellation", json::object()).status == 200);
  require_error(api.post(other + "/cancellation", json::object()), 409, "order_already_cancelled");
  require_error(api.post(other + "/shipment", json{{"tracking_id", "T-3"}}), 409,
                "order_cancelled");
  CHECK(version_of(api, other.substr(8)) == 2);
}

TEST_CASE("If-Match with a stale version gets 412 and writes nothing", "[e2e]") {
  annal::test::temp_dir dir;
  running_server server(store_uri(dir));
  auto api = server.client();
  std::string id = new_order(api, new_customer(api));
  std::string path = "/orders/" + id;

  auto first = api.post(path + "/items", item("mug-1", 1, 800), {{"If-Match", etag(1)}});
  REQUIRE(first.status == 200);
  CHECK(first.header("ETag") == etag(2));
  require_error(api.post(path + "/items", item("mug-1", 1, 800), {{"If-Match", etag(1)}}), 412,
                "stale_version");
  require_error(api.del(path + "/items/mug-1", {{"If-Match", etag(7)}}), 412, "stale_version");
  CHECK(version_of(api, id) == 2);
  CHECK(api.post(path + "/items", item("mug-1", 1, 800), {{"If-Match", "2"}}).status == 200);
  CHECK(api.post(path + "/items", item("mug-1", 1, 800), {{"If-Match", "*"}}).status == 200);
  CHECK(api.get(path).body["items"][0]["quantity"] == 3);
}

TEST_CASE("racing writers with the same If-Match: exactly one wins, the others get 412", "[e2e]") {
  annal::test::temp_dir dir;
  running_server server(store_uri(dir));
  auto api = server.client();
  std::string path = "/orders/" + new_order(api, new_customer(api));
  constexpr int writers = 4;
  std::vector<int> statuses(writers);
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      auto client = server.client();
      statuses[w] = client
                        .post(path + "/items", item("sku-" + std::to_string(w), 1, 100),
                              {{"If-Match", etag(1)}})
                        .status;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(std::count(statuses.begin(), statuses.end(), 200) == 1);
  CHECK(std::count(statuses.begin(), statuses.end(), 412) == writers - 1);
  CHECK(api.get(path).body["version"] == 2);
}

TEST_CASE("without If-Match, concurrent commands all succeed and none is lost", "[e2e]") {
  annal::test::temp_dir dir;
  running_server server(store_uri(dir));
  auto api = server.client();
  std::string id = new_order(api, new_customer(api));
  std::string path = "/orders/" + id;
  // Two HTTP clients, and a writer with a service object of its own on the same store: its
  // appends conflict with the server's, which must retry them.
  constexpr int each = 15;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&] {
      auto client = server.client();
      for (int i = 0; i < each; ++i) {
        auto reply = client.post(path + "/items", item("mug-1", 1, 800));
        if (reply.status == 200) {
          ++ok;
        } else {
          UNSCOPED_INFO("unexpected reply " << reply.status << " " << reply.text);
        }
      }
    });
  }
  threads.emplace_back([&] {
    annal::repository_options retries;
    retries.max_retries = 20;
    order_service::service other(server.get().app().store(), retries);
    for (int i = 0; i < each; ++i) {
      try {
        other.execute(id, order_service::add_item{"mug-1", 1, 800});
        ++ok;
      } catch (const std::exception& e) {
        UNSCOPED_INFO("direct writer failed: " << e.what());
      }
    }
  });
  for (auto& t : threads) t.join();
  CHECK(ok == 3 * each);
  auto order = api.get(path).body;
  CHECK(order["items"][0]["quantity"] == 3 * each);
  CHECK(order["version"] == 1 + 3 * each);
}

TEST_CASE("a server restarted on the same store has lost nothing", "[e2e]") {
  annal::test::temp_dir dir;
  std::string uri = store_uri(dir);
  std::map<std::string, json> orders;
  std::map<std::string, json> histories;
  std::string customer;
  {
    running_server server(uri);
    auto api = server.client();
    customer = new_customer(api);
    for (int i = 0; i < 6; ++i) {
      std::string id = new_order(api, customer);
      std::string path = "/orders/" + id;
      REQUIRE(api.post(path + "/items", item("book-42", 1 + i, 1250)).status == 200);
      if (i % 3 != 0) {
        REQUIRE(api.post(path + "/payment", json{{"amount_cents", (1 + i) * 1250}}).status == 200);
      }
      if (i % 3 == 2) {
        REQUIRE(api.post(path + "/shipment", json{{"tracking_id", "T"}}).status == 200);
      }
      orders[id] = api.get(path).body;
      histories[id] = api.get(path + "/events").body;
    }
  }
  running_server restarted(uri);
  auto api = restarted.client();
  for (const auto& [id, body] : orders) {
    CHECK(api.get("/orders/" + id).body == body);
    CHECK(api.get("/orders/" + id + "/events").body == histories[id]);
  }
  CHECK(api.get("/customers/" + customer).body["order_ids"].size() == orders.size());
  const std::string& first = orders.begin()->first;
  auto more = api.post("/orders/" + first + "/items", item("pen-7", 1, 120));
  REQUIRE(more.status == 200);
  CHECK(more.body["version"] == orders.begin()->second["version"].get<int>() + 1);
}

TEST_CASE("the program stops on SIGTERM and SIGINT without losing an acknowledged write", "[e2e]") {
  annal::test::temp_dir dir;
  std::string uri = store_uri(dir);
  int signal = GENERATE(SIGTERM, SIGINT);
  std::string customer;
  std::vector<std::map<std::string, std::uint64_t>> acknowledged(3);
  {
    child_process program(uri);
    api_client api("127.0.0.1", program.port());
    customer = new_customer(api);
    std::atomic<int> replies{0};
    std::vector<std::thread> clients;
    for (std::size_t c = 0; c < acknowledged.size(); ++c) {
      clients.emplace_back([&, c] {
        api_client client("127.0.0.1", program.port());
        while (true) {
          auto created =
              client.post("/orders", json{{"customer_id", customer}, {"currency", "EUR"}});
          if (created.status != 201) return;
          std::string id = created.body["id"];
          acknowledged[c][id] = 1;
          ++replies;
          auto added = client.post("/orders/" + id + "/items", item("mug-1", 1, 800));
          if (added.status != 200) return;
          acknowledged[c][id] = added.body["version"];
          ++replies;
        }
      });
    }
    REQUIRE(eventually([&] { return replies >= 30; }));
    CHECK(program.stop_with(signal) == 0);
    for (auto& t : clients) t.join();
    CHECK(api.get("/orders").status == 0);
  }
  running_server restarted(uri);
  auto api = restarted.client();
  std::size_t checked = 0;
  for (const auto& per_client : acknowledged) {
    for (const auto& [id, version] : per_client) {
      auto order = api.get("/orders/" + id);
      REQUIRE(order.status == 200);
      CHECK(order.body["version"].get<std::uint64_t>() >= version);
      ++checked;
    }
  }
  CHECK(checked >= 10);
}

TEST_CASE("DELETE /customers/{id} erases the customer's name and email, keeping the orders",
          "[e2e][privacy]") {
  annal::test::temp_dir dir;
  running_server server(store_uri(dir));
  auto api = server.client();
  auto ada = api.post("/customers", json{{"name", "ada"}, {"email", "ada@example.com"}});
  REQUIRE(ada.status == 201);
  std::string ada_id = ada.body["id"];
  CHECK(ada.body["erased"] == false);
  std::string grace = new_customer(api);
  std::string order = new_order(api, ada_id);

  auto forgotten = api.del("/customers/" + ada_id);
  CHECK(forgotten.status == 204);
  auto after = api.get("/customers/" + ada_id);
  REQUIRE(after.status == 200);
  CHECK(after.body["name"].is_null());
  CHECK(after.body["email"].is_null());
  CHECK(after.body["erased"] == true);
  CHECK(after.body["order_ids"] == json::array({order}));
  CHECK(api.get("/orders/" + order).body["customer_id"] == ada_id);
  CHECK(api.get("/customers/" + grace).body["erased"] == false);
  // Idempotent, and an unknown customer is 404.
  CHECK(api.del("/customers/" + ada_id).status == 204);
  require_error(api.del("/customers/01890000-0000-7000-8000-000000000000"), 404,
                "customer_not_found");
  // Orders can still be placed for the forgotten customer: they hold no personal data.
  CHECK(api.post("/orders", json{{"customer_id", ada_id}, {"currency", "EUR"}}).status == 201);
}
