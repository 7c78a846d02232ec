// A read model drops a deleted stream's rows when its variant has annal's deletion events.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "annal/system_events.hpp"
#include "projection/projection_fixture.hpp"

namespace customer {

struct registered {
  static constexpr std::string_view type = "customer.registered";
  std::string email;
};
using event = std::variant<registered, annal::stream_deleted_event, annal::stream_tombstoned_event>;

}  // namespace customer

using namespace annal;
using namespace std::chrono_literals;
using annal::test::projection_fixture;

TEST_CASE("a read model sees a stream's deletion and tombstone as events and drops its rows",
          "[deletion]") {
  projection_fixture f;
  auto& s = f.store();
  for (const char* id : {"customer-1", "customer-2", "customer-3"}) {
    s.append(id, expected_version::no_stream(),
             event_codec<customer::event>::encode(customer::registered{std::string(id) + "@x"}));
  }
  auto second = s.delete_stream("customer-2", expected_version::exact(1), deletion::soft, "asked");
  auto third = s.delete_stream("customer-3", expected_version::any(), deletion::hard);
  struct handler {
    void operator()(const customer::registered& e, const recorded_event& r,
                    read_model_transaction& tx) const {
      tx.execute("INSERT INTO {customers}(id, email) VALUES ($1, $2)", {r.stream_id, e.email});
    }
    void operator()(const stream_deleted_event& e, const recorded_event& r,
                    read_model_transaction& tx) const {
      CHECK(e.reason == "asked");
      tx.execute("DELETE FROM {customers} WHERE id = $1", {r.stream_id});
    }
    void operator()(const stream_tombstoned_event&, const recorded_event& r,
                    read_model_transaction& tx) const {
      tx.execute("DELETE FROM {customers} WHERE id = $1", {r.stream_id});
    }
  };
  projection_runner runner(s, f.model);
  runner.add(sqlite_projection<customer::event>(
      "customers", 1, {"customers"},
      [](read_model_transaction& tx) {
        tx.execute("CREATE TABLE {customers}(id TEXT PRIMARY KEY, email TEXT)");
      },
      handler{}));
  runner.start();
  REQUIRE(runner.wait_until("customers", third.last_position, 30s));
  runner.stop();
  CHECK(second.written);
  read_model_reader reader(f.model);
  std::vector<std::string> ids;
  reader.query("SELECT id FROM customers ORDER BY id", {},
               [&](const sql_row& row) { ids.push_back(row.text(0)); });
  CHECK(ids == std::vector<std::string>{"customer-1"});
}
