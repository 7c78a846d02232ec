// Two processes of the order service on one store (PostgreSQL, or a SQLite file; a segment
// directory belongs to one process): optimistic concurrency holds between them.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "e2e_fixture.hpp"

using namespace order_service::test;

TEST_CASE("two server processes on one store: racing If-Match writers, exactly one wins",
          "[e2e][instances]") {
  if (backend() == "segment") return;  // a segment directory belongs to one process
  annal::test::temp_dir dir;
  std::string uri = store_uri(dir);
  child_process a(uri);
  child_process b(uri);
  api_client api_a("127.0.0.1", a.port());
  std::string id = new_order(api_a, new_customer(api_a));
  std::string path = "/orders/" + id;

  constexpr int writers = 6;
  std::vector<int> statuses(writers);
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      api_client client("127.0.0.1", w % 2 == 0 ? a.port() : b.port());
      statuses[w] = client
                        .post(path + "/items", item("sku-" + std::to_string(w), 1, 100),
                              {{"If-Match", etag(1)}})
                        .status;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(std::count(statuses.begin(), statuses.end(), 200) == 1);
  CHECK(std::count(statuses.begin(), statuses.end(), 412) == writers - 1);

  // Without If-Match both servers retry their conflicts: every command lands, none twice.
  constexpr int each = 10;
  std::atomic<int> ok{0};
  threads.clear();
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      api_client client("127.0.0.1", w % 2 == 0 ? a.port() : b.port());
      for (int i = 0; i < each; ++i) {
        if (client.post(path + "/items", item("mug-1", 1, 800)).status == 200) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == 4 * each);
  api_client api_b("127.0.0.1", b.port());
  auto order = api_b.get(path).body;
  CHECK(order["version"] == 2 + 4 * each);
  CHECK(order["items"].size() == 2);
}
