// Tests of upcasters: typed version chains, renames, one-to-many and raw-JSON steps, and their
// errors.
#include "annal/upcaster.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "annal/codec.hpp"
#include "annal/error.hpp"

namespace shop {

// Today's events.
struct order_created {
  static constexpr std::string_view type = "order.created";
  static constexpr int version = 2;
  std::string customer;
  std::string currency;
};

struct item_added {
  static constexpr std::string_view type = "order.item_added";
  static constexpr int version = 4;
  std::string sku;
  std::int64_t price_cents;
  std::int32_t quantity;
};

struct order_noted {
  static constexpr std::string_view type = "order.noted";
  std::string text;
};

using order_event = std::variant<order_created, item_added, order_noted>;

// Earlier shapes of item_added: the price in euros (v1), renamed to price (v2), then quantity
// added (v3), then cents (v4).
struct item_added_v1 {
  static constexpr std::string_view type = "order.item_added";
  std::string sku;
  double euros;
};
struct item_added_v2 {
  static constexpr std::string_view type = "order.item_added";
  static constexpr int version = 2;
  std::string sku;
  double price;
};
struct item_added_v3 {
  static constexpr std::string_view type = "order.item_added";
  static constexpr int version = 3;
  std::string sku;
  double price;
  std::int32_t quantity;
};

item_added_v2 to_v2(const item_added_v1& e) { return {e.sku, e.euros}; }
item_added_v3 to_v3(const item_added_v2& e) { return {e.sku, e.price, 1}; }
item_added to_v4(const item_added_v3& e) {
  if (e.price < 0) throw std::runtime_error("a negative price");
  return {e.sku, static_cast<std::int64_t>(e.price * 100 + 0.5), e.quantity};
}

// order.created v1 had no currency; the stored name of v1 was "order.placed".
struct order_created_v1 {
  static constexpr std::string_view type = "order.created";
  std::string customer;
};
order_created to_created_v2(const order_created_v1& e) { return {e.customer, "EUR"}; }

// A basket event that became one order_created and an item_added per line.
struct basket_line {
  std::string sku;
  std::int64_t cents;
};
struct basket_checked_out {
  static constexpr std::string_view type = "basket.checked_out";
  std::string customer;
  std::vector<basket_line> lines;
};
std::vector<order_event> split_basket(const basket_checked_out& e) {
  std::vector<order_event> events{order_created{e.customer, "EUR"}};
  for (const auto& line : e.lines) events.emplace_back(item_added{line.sku, line.cents, 1});
  return events;
}

// A raw-JSON step: a note stored as {"body": ...} at version 0 of "order.comment" (spelled
// version 1 under its old name) becomes an order.noted.
annal::json_event comment_to_note(nlohmann::json payload) {
  if (!payload.contains("body")) throw std::invalid_argument("no body");
  return {"order.noted", 1, {{"text", payload["body"]}}};
}
// A raw-JSON one-to-many step: an "order.notes" event holding several notes.
std::vector<annal::json_event> split_notes(nlohmann::json payload) {
  std::vector<annal::json_event> notes;
  for (auto& text : payload["texts"]) notes.push_back({"order.noted", 1, {{"text", text}}});
  return notes;
}
// A raw-JSON step whose result nothing reads.
annal::json_event to_nowhere(nlohmann::json payload) { return {"order.vanished", 7, payload}; }
// Two raw-JSON steps that send an event back and forth.
annal::json_event ping_to_pong(nlohmann::json payload) { return {"order.pong", 1, payload}; }
annal::json_event pong_to_ping(nlohmann::json payload) { return {"order.ping", 1, payload}; }

}  // namespace shop

template <>
struct annal::upcasters_of<shop::order_event>
    : annal::upcasters<annal::upcast<&shop::to_v2>, annal::upcast<&shop::to_v3>,
                       annal::upcast<&shop::to_v4>, annal::upcast<&shop::to_created_v2>,
                       annal::rename<"order.placed", "order.created">,
                       annal::upcast<&shop::split_basket>,
                       annal::upcast_json<"order.comment", 1, &shop::comment_to_note>,
                       annal::upcast_json<"order.notes", 1, &shop::split_notes>,
                       annal::upcast_json<"order.lost", 1, &shop::to_nowhere>,
                       annal::upcast_json<"order.ping", 1, &shop::ping_to_pong>,
                       annal::upcast_json<"order.pong", 1, &shop::pong_to_ping>> {};

using codec = annal::event_codec<shop::order_event>;

namespace {

annal::recorded_event stored(std::string type, std::uint32_t version, std::string payload) {
  annal::recorded_event event;
  event.position = 17;
  event.stream_id = "order-9";
  event.stream_version = 4;
  event.type = std::move(type);
  event.type_version = version;
  event.payload = std::move(payload);
  return event;
}

}  // namespace

TEST_CASE("an event stored as today's type and version is read directly", "[upcast]") {
  auto e =
      codec::decode(stored("order.item_added", 4, R"({"sku":"a","price_cents":250,"quantity":3})"));
  auto& item = std::get<shop::item_added>(e);
  CHECK(item.sku == "a");
  CHECK(item.price_cents == 250);
  CHECK(item.quantity == 3);
  CHECK(codec::path_of("order.item_added", 4) == annal::read_path::direct);
}

TEST_CASE("version steps chain from any stored version to today's", "[upcast]") {
  auto from_v1 = codec::decode(stored("order.item_added", 1, R"({"sku":"a","euros":2.5})"));
  CHECK(std::get<shop::item_added>(from_v1).price_cents == 250);
  CHECK(std::get<shop::item_added>(from_v1).quantity == 1);
  auto from_v2 = codec::decode(stored("order.item_added", 2, R"({"sku":"b","price":1.25})"));
  CHECK(std::get<shop::item_added>(from_v2).price_cents == 125);
  auto from_v3 =
      codec::decode(stored("order.item_added", 3, R"({"sku":"c","price":0.1,"quantity":5})"));
  CHECK(std::get<shop::item_added>(from_v3).price_cents == 10);
  CHECK(std::get<shop::item_added>(from_v3).quantity == 5);
  CHECK(
      codec::decode_as<shop::item_added>(stored("order.item_added", 1, R"({"sku":"a","euros":1})"))
          .price_cents == 100);
  for (std::uint32_t v : {1u, 2u, 3u}) {
    CHECK(codec::path_of("order.item_added", v) == annal::read_path::upcast);
  }
}

TEST_CASE("a version newer than the program knows is an error, never read as today's", "[upcast]") {
  try {
    codec::decode(stored("order.item_added", 5, R"({"sku":"a","price_cents":1,"quantity":1})"));
    FAIL("decoded");
  } catch (const annal::unknown_event_type& e) {
    CHECK(e.type() == "order.item_added");
    CHECK(e.type_version() == 5);
    CHECK(e.position() == 17);
    CHECK(std::string(e.what()).find("newer than version 4") != std::string::npos);
  }
  CHECK(codec::path_of("order.item_added", 5) == annal::read_path::unknown);
}

TEST_CASE("a renamed type reads under its new name, and its old versions upcast", "[upcast]") {
  auto renamed = codec::decode(stored("order.placed", 2, R"({"customer":"ada","currency":"USD"})"));
  CHECK(std::get<shop::order_created>(renamed).currency == "USD");
  auto renamed_old = codec::decode(stored("order.placed", 1, R"({"customer":"bob"})"));
  CHECK(std::get<shop::order_created>(renamed_old).customer == "bob");
  CHECK(std::get<shop::order_created>(renamed_old).currency == "EUR");
  CHECK(codec::path_of("order.placed", 2) == annal::read_path::upcast);
  CHECK(codec::path_of("order.placed", 3) == annal::read_path::unknown);
  CHECK_THROWS_AS(codec::decode(stored("order.placed", 3, "{}")), annal::unknown_event_type);
}

TEST_CASE("one stored event can become several, or none", "[upcast]") {
  auto basket =
      stored("basket.checked_out", 1,
             R"({"customer":"ada","lines":[{"sku":"a","cents":100},{"sku":"b","cents":5}]})");
  auto events = codec::decode_all(basket);
  REQUIRE(events.size() == 3);
  CHECK(std::get<shop::order_created>(events[0]).customer == "ada");
  CHECK(std::get<shop::item_added>(events[1]).sku == "a");
  CHECK(std::get<shop::item_added>(events[2]).price_cents == 5);
  CHECK_THROWS_WITH(codec::decode(basket),
                    Catch::Contains("into 3 events") && Catch::Contains("decode_all"));

  auto empty = stored("order.notes", 1, R"({"texts":[]})");
  CHECK(codec::decode_all(empty).empty());
  auto two = codec::decode_all(stored("order.notes", 1, R"({"texts":["x","y"]})"));
  REQUIRE(two.size() == 2);
  CHECK(std::get<shop::order_noted>(two[1]).text == "y");
  int seen = 0;
  codec::for_each_decoded(basket, [&](shop::order_event&&) { ++seen; });
  CHECK(seen == 3);
}

TEST_CASE("a raw-JSON upcaster rewrites the payload and names what it becomes", "[upcast]") {
  auto note = codec::decode(stored("order.comment", 1, R"({"body":"hello"})"));
  CHECK(std::get<shop::order_noted>(note).text == "hello");
  CHECK(codec::path_of("order.comment", 1) == annal::read_path::upcast);
  CHECK(codec::path_of("order.comment", 2) == annal::read_path::unknown);
}

TEST_CASE("a raw-JSON upcaster's result that nothing reads is unknown_event_type naming it",
          "[upcast]") {
  try {
    codec::decode(stored("order.lost", 1, "{}"));
    FAIL("decoded");
  } catch (const annal::unknown_event_type& e) {
    CHECK(e.type() == "order.vanished");
    CHECK(e.type_version() == 7);
    CHECK(e.stream_id() == "order-9");
    CHECK(e.position() == 17);
    CHECK(std::string(e.what()).find("'order.vanished' version 7") != std::string::npos);
  }
}

TEST_CASE("an upcaster that throws is reported with stream, position, type and version",
          "[upcast]") {
  try {
    codec::decode(stored("order.item_added", 3, R"({"sku":"a","price":-1,"quantity":1})"));
    FAIL("decoded");
  } catch (const annal::upcast_failed& e) {
    CHECK(e.code() == annal::errc::upcast_failed);
    CHECK(e.type() == "order.item_added");
    CHECK(e.type_version() == 3);
    CHECK(e.stream_id() == "order-9");
    CHECK(e.position() == 17);
    CHECK(std::string(e.what()) ==
          "annal: the upcaster of 'order.item_added' version 3 failed at position 17 in stream "
          "'order-9': a negative price");
  }
  try {
    codec::decode(stored("order.comment", 1, R"({"text":"no body"})"));
    FAIL("decoded");
  } catch (const annal::upcast_failed& e) {
    CHECK(e.type() == "order.comment");
    CHECK(e.type_version() == 1);
  }
}

TEST_CASE("a payload that does not fit the old struct names the old type and field", "[upcast]") {
  try {
    codec::decode(stored("order.item_added", 1, R"({"sku":"a","euros":"two"})"));
    FAIL("decoded");
  } catch (const annal::decode_failed& e) {
    CHECK(e.type() == "order.item_added");
    CHECK(e.field_path() == "euros");
  }
  CHECK_THROWS_AS(codec::decode(stored("order.item_added", 1, "{not json")), annal::decode_failed);
}

TEST_CASE("raw-JSON upcasters that loop are stopped", "[upcast]") {
  CHECK_THROWS_WITH(
      codec::decode(stored("order.ping", 1, "{}")),
      Catch::Contains("the upcasters form a cycle") && Catch::Contains("position 17"));
}

TEST_CASE("an unknown type keeps its error, with or without upcasters", "[upcast]") {
  CHECK_THROWS_WITH(codec::decode(stored("order.unheard_of", 1, "{not json")),
                    "annal: unknown event type 'order.unheard_of' at position 17 in stream "
                    "'order-9'");
  CHECK_THROWS_WITH(codec::decode(stored("order.unheard_of", 2, "{}")),
                    "annal: unknown event type 'order.unheard_of' version 2 at position 17 in "
                    "stream 'order-9'");
}

TEST_CASE("the stored type names include the names only upcasters read", "[upcast]") {
  auto names = codec::stored_type_names();
  std::vector<std::string> expected{
      "order.created", "order.item_added", "order.noted", "order.placed", "basket.checked_out",
      "order.comment", "order.notes",      "order.lost",  "order.ping",   "order.pong"};
  CHECK(names == expected);
}

TEST_CASE("decode_as refuses an event that upcasts into another type", "[upcast]") {
  CHECK_THROWS_WITH(codec::decode_as<shop::item_added>(
                        stored("order.placed", 2, R"({"customer":"a","currency":"b"})")),
                    Catch::Contains("expected an event of type 'order.item_added'"));
  CHECK_THROWS_WITH(codec::decode_as<shop::item_added>(stored("order.other", 1, "{}")),
                    Catch::Contains("expected an event of type 'order.item_added'"));
}

namespace billing {

struct invoiced {
  static constexpr std::string_view type = "billing.invoiced";
  long long cents;
};
struct refunded {
  static constexpr std::string_view type = "billing.refunded";
  long long cents;
};
// Two variants that share an event struct, and a projection's variant with one alternative.
using ledger_event = std::variant<invoiced, refunded>;
using invoice_event = std::variant<invoiced>;

}  // namespace billing

template <>
struct annal::upcasters_of<billing::invoiced>
    : annal::upcasters<annal::rename<"billing.billed", "billing.invoiced">> {};
template <>
struct annal::upcasters_of<billing::ledger_event>
    : annal::upcasters<annal::rename<"billing.paid_back", "billing.refunded">> {};

TEST_CASE("upcasters registered for a struct apply in every variant that has it", "[upcast]") {
  auto billed = stored("billing.billed", 1, R"({"cents":12})");
  CHECK(std::get<billing::invoiced>(annal::event_codec<billing::ledger_event>::decode(billed))
            .cents == 12);
  CHECK(std::get<billing::invoiced>(annal::event_codec<billing::invoice_event>::decode(billed))
            .cents == 12);
  CHECK(annal::event_codec<billing::invoice_event>::stored_type_names() ==
        std::vector<std::string>{"billing.invoiced", "billing.billed"});
  // Those registered for a variant apply only there.
  auto paid_back = stored("billing.paid_back", 1, R"({"cents":3})");
  CHECK(std::get<billing::refunded>(annal::event_codec<billing::ledger_event>::decode(paid_back))
            .cents == 3);
  CHECK(annal::event_codec<billing::invoice_event>::path_of("billing.paid_back", 1) ==
        annal::read_path::unknown);
}
