// Unit tests of the order service's use cases on a real store: refusals write nothing.
#include "service.hpp"

#include <annal/annal.hpp>
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "support/temp_dir.hpp"

using namespace order_service;

namespace {

struct fixture {
  annal::test::temp_dir dir;
  std::unique_ptr<annal::event_store> store = annal::open_store("sqlite:" + dir.file("o.db"));
  service app{*store};
  std::string customer_id = app.register_customer({"ada", "ada@example.com"}).id;
};

template <class Action>
void require_code(Action&& action, const std::string& code) {
  try {
    action();
    FAIL("accepted; expected " << code);
  } catch (const domain_error& e) {
    CHECK(e.code() == code);
  }
}

}  // namespace

TEST_CASE("creating an order writes to the customer's stream and the order's", "[service]") {
  fixture f;
  annal::event_metadata metadata;
  metadata.correlation_id = "req-1";
  auto created = f.app.create_order({f.customer_id, "EUR"}, metadata);
  CHECK(created.current.version == 1);
  CHECK(f.app.get_customer(f.customer_id).state.order_ids == std::vector<std::string>{created.id});
  auto events = f.store->read_all(0, 10).events;
  REQUIRE(events.size() == 3);
  CHECK(events[1].type == "customer.order_placed");
  CHECK(events[2].type == "order.created");
  CHECK(events[1].metadata.correlation_id == "req-1");
  CHECK(events[2].metadata.correlation_id == "req-1");
}

TEST_CASE("a refused order writes nothing to either stream", "[service]") {
  fixture f;
  auto head = f.store->head_position();
  require_code([&] { f.app.create_order({"no-such-customer", "EUR"}); }, "unknown_customer");
  require_code([&] { f.app.create_order({f.customer_id, "euro"}); }, "invalid_field");
  CHECK(f.store->head_position() == head);
}

TEST_CASE("an expected version must match, and a refused command writes nothing", "[service]") {
  fixture f;
  auto id = f.app.create_order({f.customer_id, "EUR"}).id;
  auto after = f.app.execute(id, add_item{"pen-7", 1, 120}, 1);
  CHECK(after.version == 2);
  auto head = f.store->head_position();
  require_code([&] { f.app.execute(id, add_item{"pen-7", 1, 120}, 1); }, "stale_version");
  require_code([&] { f.app.execute(id, pay_order{1}, 2); }, "amount_mismatch");
  require_code([&] { f.app.execute(id, ship_order{"T"}); }, "order_not_paid");
  CHECK(f.store->head_position() == head);
  CHECK(f.app.get_order(id).version == 2);
}

TEST_CASE("time travel returns each version and refuses versions that do not exist", "[service]") {
  fixture f;
  auto id = f.app.create_order({f.customer_id, "EUR"}).id;
  f.app.execute(id, add_item{"pen-7", 1, 120});
  f.app.execute(id, add_item{"mug-1", 2, 800});
  CHECK(f.app.get_order_at(id, 1).state.lines.empty());
  CHECK(f.app.get_order_at(id, 2).state.lines.size() == 1);
  CHECK(f.app.get_order_at(id, 3).state.lines.size() == 2);
  require_code([&] { f.app.get_order_at(id, 4); }, "version_not_found");
  require_code([&] { f.app.get_order_at(id, 0); }, "invalid_field");
  require_code([&] { f.app.get_order_at("01890000-0000-7000-8000-000000000000", 1); },
               "order_not_found");
}

TEST_CASE("unknown and malformed ids are not found", "[service]") {
  fixture f;
  require_code([&] { f.app.get_order("01890000-0000-7000-8000-000000000000"); }, "order_not_found");
  require_code([&] { f.app.get_order("../etc"); }, "order_not_found");
  require_code([&] { f.app.get_order(std::string(300, 'a')); }, "order_not_found");
  require_code([&] { f.app.order_history("nope"); }, "order_not_found");
  require_code([&] { f.app.get_customer("nope"); }, "customer_not_found");
  require_code([&] { f.app.execute("nope", cancel_order{}); }, "order_not_found");
}
