// Unit tests of the order service's domain: every rule of Order and Customer, every refusal.
#include <algorithm>
#include <annal/annal.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "customer.hpp"
#include "domain_error.hpp"
#include "order.hpp"
#include "order_commands.hpp"

using namespace order_service;

namespace {

// Runs `command` and checks it is refused with this kind, code and (for invalid) field.
template <class Command>
void require_refusal(const order& o, const Command& command, error_kind kind,
                     const std::string& code, const std::string& field = {}) {
  try {
    decide(o, command);
    FAIL("the command was accepted; expected " << code);
  } catch (const domain_error& e) {
    CHECK(e.kind() == kind);
    CHECK(e.code() == code);
    CHECK(e.field() == field);
    CHECK(std::string(e.what()).size() > 10);
  }
}

// Applies what decide returns, as the repository would.
template <class Command>
order run(order o, const Command& command) {
  return annal::fold(std::move(o), decide(o, command));
}

order open_order() { return run(order{}, create_order{"c-1", "EUR"}); }

order order_with_items() {
  order o = open_order();
  o = run(o, add_item{"book-42", 2, 1250});
  return run(o, add_item{"pen-7", 3, 120});
}

order paid_order() {
  order o = order_with_items();
  return run(o, pay_order{total_cents(o)});
}

order shipped_order() { return run(paid_order(), ship_order{"TRACK-1"}); }

order cancelled_order() { return run(open_order(), cancel_order{"no longer needed"}); }

}  // namespace

TEST_CASE("creating an order records the customer and currency and opens it", "[order]") {
  auto events = decide(order{}, create_order{"c-1", "EUR"});
  REQUIRE(events.size() == 1);
  auto created = std::get<order_created>(events[0]);
  CHECK(created.customer_id == "c-1");
  CHECK(created.currency == "EUR");
  order o = annal::fold(order{}, events);
  CHECK(o.status == order_status::open);
  CHECK(total_cents(o) == 0);
}

TEST_CASE("creating an order validates customer and currency, and refuses a second creation",
          "[order]") {
  require_refusal(order{}, create_order{"", "EUR"}, error_kind::invalid, "invalid_field",
                  "customer_id");
  require_refusal(order{}, create_order{"bad id!", "EUR"}, error_kind::invalid, "invalid_field",
                  "customer_id");
  require_refusal(order{}, create_order{"c-1", "eur"}, error_kind::invalid, "invalid_field",
                  "currency");
  require_refusal(order{}, create_order{"c-1", "EURO"}, error_kind::invalid, "invalid_field",
                  "currency");
  require_refusal(open_order(), create_order{"c-1", "EUR"}, error_kind::conflict, "order_exists");
}

TEST_CASE("items add up, the same SKU raises its quantity, and totals are exact", "[order]") {
  order o = order_with_items();
  CHECK(subtotal_cents(o) == 2 * 1250 + 3 * 120);
  o = run(o, add_item{"book-42", 1, 1250});
  REQUIRE(o.lines.size() == 2);
  CHECK(o.lines[0].quantity == 3);
  CHECK(total_cents(o) == 3 * 1250 + 3 * 120);
}

TEST_CASE("adding an item validates the fields and the order's contents", "[order]") {
  order o = order_with_items();
  require_refusal(o, add_item{"", 1, 100}, error_kind::invalid, "invalid_field", "sku");
  require_refusal(o, add_item{"a b", 1, 100}, error_kind::invalid, "invalid_field", "sku");
  require_refusal(o, add_item{std::string(65, 'x'), 1, 100}, error_kind::invalid, "invalid_field",
                  "sku");
  require_refusal(o, add_item{"mug-1", 0, 100}, error_kind::invalid, "invalid_field", "quantity");
  require_refusal(o, add_item{"mug-1", -2, 100}, error_kind::invalid, "invalid_field", "quantity");
  require_refusal(o, add_item{"mug-1", max_quantity + 1, 100}, error_kind::invalid, "invalid_field",
                  "quantity");
  require_refusal(o, add_item{"mug-1", 1, 0}, error_kind::invalid, "invalid_field",
                  "unit_price_cents");
  require_refusal(o, add_item{"mug-1", 1, max_unit_price_cents + 1}, error_kind::invalid,
                  "invalid_field", "unit_price_cents");
  require_refusal(o, add_item{"book-42", 1, 999}, error_kind::unprocessable, "price_mismatch");
  require_refusal(o, add_item{"book-42", max_quantity - 1, 1250}, error_kind::unprocessable,
                  "quantity_limit");
}

TEST_CASE("an order holds at most max_lines lines", "[order]") {
  order o = open_order();
  for (std::size_t i = 0; i < max_lines; ++i) {
    o = run(o, add_item{"sku-" + std::to_string(i), 1, 100});
  }
  require_refusal(o, add_item{"one-more", 1, 100}, error_kind::unprocessable, "too_many_lines");
  CHECK_NOTHROW(decide(o, add_item{"sku-0", 1, 100}));
}

TEST_CASE("removing an item takes its whole line; an absent SKU is refused", "[order]") {
  order o = run(order_with_items(), remove_item{"book-42"});
  REQUIRE(o.lines.size() == 1);
  CHECK(o.lines[0].sku == "pen-7");
  require_refusal(o, remove_item{"book-42"}, error_kind::unprocessable, "item_not_in_order");
  require_refusal(o, remove_item{""}, error_kind::invalid, "invalid_field", "sku");
}

TEST_CASE("a discount lowers the total, once, within its limits", "[order]") {
  order o = run(order_with_items(), apply_discount{"WELCOME10", 10});
  CHECK(discount_cents(o) == 286);
  CHECK(total_cents(o) == 2574);
  require_refusal(o, apply_discount{"AGAIN", 5}, error_kind::unprocessable,
                  "discount_already_applied");
  order fresh = order_with_items();
  require_refusal(fresh, apply_discount{"ZERO", 0}, error_kind::invalid, "invalid_field",
                  "percent");
  require_refusal(fresh, apply_discount{"HUGE", max_discount_percent + 1}, error_kind::invalid,
                  "invalid_field", "percent");
  require_refusal(fresh, apply_discount{"", 10}, error_kind::invalid, "invalid_field", "code");
}

TEST_CASE("the discount rounds down to a whole cent", "[order]") {
  order o = run(open_order(), add_item{"pen-7", 1, 199});
  o = run(o, apply_discount{"TEN", 10});
  CHECK(discount_cents(o) == 19);
  CHECK(total_cents(o) == 180);
}

TEST_CASE("paying needs items and exactly the total", "[order]") {
  order o = order_with_items();
  require_refusal(open_order(), pay_order{100}, error_kind::unprocessable, "order_empty");
  require_refusal(o, pay_order{total_cents(o) - 1}, error_kind::unprocessable, "amount_mismatch");
  require_refusal(o, pay_order{total_cents(o) + 1}, error_kind::unprocessable, "amount_mismatch");
  require_refusal(o, pay_order{0}, error_kind::invalid, "invalid_field", "amount_cents");
  order paid = run(o, pay_order{total_cents(o)});
  CHECK(paid.status == order_status::paid);
  CHECK(paid.paid_cents == total_cents(o));
}

TEST_CASE("once an order is not open its contents and payment are frozen", "[order]") {
  for (const order& o : {paid_order(), shipped_order(), cancelled_order()}) {
    require_refusal(o, add_item{"mug-1", 1, 800}, error_kind::conflict, "order_not_open");
    require_refusal(o, remove_item{"book-42"}, error_kind::conflict, "order_not_open");
    require_refusal(o, apply_discount{"LATE", 5}, error_kind::conflict, "order_not_open");
    require_refusal(o, pay_order{std::max<std::int64_t>(total_cents(o), 1)}, error_kind::conflict,
                    "order_not_open");
  }
}

TEST_CASE("shipping needs a paid order and a tracking id", "[order]") {
  require_refusal(order_with_items(), ship_order{"T-1"}, error_kind::conflict, "order_not_paid");
  require_refusal(cancelled_order(), ship_order{"T-1"}, error_kind::conflict, "order_cancelled");
  require_refusal(shipped_order(), ship_order{"T-2"}, error_kind::conflict,
                  "order_already_shipped");
  require_refusal(paid_order(), ship_order{""}, error_kind::invalid, "invalid_field",
                  "tracking_id");
  order shipped = shipped_order();
  CHECK(shipped.status == order_status::shipped);
  CHECK(shipped.tracking_id == "TRACK-1");
}

TEST_CASE("an order can be cancelled until it ships, once", "[order]") {
  CHECK(run(open_order(), cancel_order{}).status == order_status::cancelled);
  CHECK(run(paid_order(), cancel_order{"refund"}).cancel_reason == "refund");
  require_refusal(shipped_order(), cancel_order{}, error_kind::conflict, "order_already_shipped");
  require_refusal(cancelled_order(), cancel_order{}, error_kind::conflict,
                  "order_already_cancelled");
  require_refusal(open_order(), cancel_order{std::string(201, 'x')}, error_kind::invalid,
                  "invalid_field", "reason");
}

TEST_CASE("every command but create refuses an order that does not exist", "[order]") {
  order none;
  require_refusal(none, add_item{"mug-1", 1, 800}, error_kind::not_found, "order_not_found");
  require_refusal(none, remove_item{"mug-1"}, error_kind::not_found, "order_not_found");
  require_refusal(none, apply_discount{"X", 5}, error_kind::not_found, "order_not_found");
  require_refusal(none, pay_order{100}, error_kind::not_found, "order_not_found");
  require_refusal(none, ship_order{"T-1"}, error_kind::not_found, "order_not_found");
  require_refusal(none, cancel_order{}, error_kind::not_found, "order_not_found");
}

TEST_CASE("order events round-trip through the codec", "[order]") {
  using codec = annal::event_codec<order_event>;
  order_event paid = order_paid{2574};
  annal::recorded_event recorded;
  auto data = codec::encode(paid);
  recorded.type = data.type;
  recorded.payload = data.payload;
  CHECK(data.type == "order.paid");
  CHECK(data.payload == R"({"amount_cents":2574})");
  CHECK(std::get<order_paid>(codec::decode(recorded)).amount_cents == 2574);
}

TEST_CASE("a customer registers once with a name and an email", "[customer]") {
  auto events = decide(customer{}, register_customer{"ada", "ada@example.com"});
  customer c = annal::fold(customer{}, events);
  CHECK(c.registered);
  CHECK(c.email.value() == "ada@example.com");
  auto refused = [](const customer& state, const register_customer& command, error_kind kind,
                    const std::string& code, const std::string& field) {
    try {
      decide(state, command);
      FAIL("accepted");
    } catch (const domain_error& e) {
      CHECK(e.kind() == kind);
      CHECK(e.code() == code);
      CHECK(e.field() == field);
    }
  };
  refused(customer{}, {"", "a@b"}, error_kind::invalid, "invalid_field", "name");
  refused(customer{}, {std::string(101, 'n'), "a@b"}, error_kind::invalid, "invalid_field", "name");
  refused(customer{}, {"ada", "ada.example.com"}, error_kind::invalid, "invalid_field", "email");
  refused(customer{}, {"ada", "@example.com"}, error_kind::invalid, "invalid_field", "email");
  refused(customer{}, {"ada", "ada@"}, error_kind::invalid, "invalid_field", "email");
  refused(c, {"ada", "ada@example.com"}, error_kind::conflict, "customer_exists", "");
}

TEST_CASE("placing an order needs a registered customer and records the order once", "[customer]") {
  customer c = annal::fold(customer{}, decide(customer{}, register_customer{"ada", "a@b.c"}));
  c = annal::fold(std::move(c), decide(c, place_order{"o-1"}));
  CHECK(c.order_ids == std::vector<std::string>{"o-1"});
  try {
    decide(customer{}, place_order{"o-2"});
    FAIL("accepted");
  } catch (const domain_error& e) {
    CHECK(e.kind() == error_kind::unprocessable);
    CHECK(e.code() == "unknown_customer");
    CHECK(e.field() == "customer_id");
  }
  try {
    decide(c, place_order{"o-1"});
    FAIL("accepted");
  } catch (const domain_error& e) {
    CHECK(e.kind() == error_kind::conflict);
    CHECK(e.code() == "order_exists");
  }
}

TEST_CASE("a customer registered by version 1, in the clear, reads as today's event",
          "[customer]") {
  annal::recorded_event old;
  old.type = "customer.registered";
  old.type_version = 1;
  old.payload = R"({"name":"ada","email":"ada@example.com"})";
  auto e = std::get<customer_registered>(annal::event_codec<customer_event>::decode(old));
  CHECK(e.name.value() == "ada");
  CHECK(e.email.value() == "ada@example.com");
  auto now = annal::event_codec<customer_event>::encode(e, annal::event_metadata{.subject = "c"});
  CHECK(now.type_version == 2);
  CHECK(now.payload == R"({"name":{"$personal":"ada"},"email":{"$personal":"ada@example.com"}})");
}
