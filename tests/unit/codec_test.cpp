// Tests of the typed event codec: encoding to event_data and decoding recorded events.
#include "annal/codec.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "annal/error.hpp"
#include "annal/event.hpp"
#include "sample_types.hpp"

namespace shop {

using sample_types::line;
using sample_types::order_created;
using sample_types::status;

struct order_paid {
  static constexpr std::string_view type = "order.paid";
  double amount;
  friend bool operator==(const order_paid&, const order_paid&) = default;
};

struct order_cancelled {
  static constexpr std::string_view type = "order.cancelled";
  friend bool operator==(const order_cancelled&, const order_cancelled&) = default;
};

using order_event = std::variant<order_created, order_paid, order_cancelled>;

}  // namespace shop

using codec = annal::event_codec<shop::order_event>;

namespace shop {

// The second shape of an event: stored with version 2.
struct order_shipped {
  static constexpr std::string_view type = "order.shipped";
  static constexpr int version = 2;
  std::string carrier;
  friend bool operator==(const order_shipped&, const order_shipped&) = default;
};

}  // namespace shop

namespace shop {

// A field named `version` is a field like any other, not the type's version.
struct document_published {
  static constexpr std::string_view type = "document.published";
  int version;
};

}  // namespace shop

using versioned_codec = annal::event_codec<std::variant<shop::order_paid, shop::order_shipped>>;

// The registry is known at compile time.
static_assert(codec::knows("order.paid"));
static_assert(!codec::knows("order.shipped"));
static_assert(codec::type_names().size() == 3);

namespace {

shop::order_created sample_order() {
  return shop::order_created{"Zoë",
                             {{"apple", 3, 0.5}, {"pear", 1, 1.25}},
                             "leave at the door",
                             {{"vip", 1}},
                             shop::status::paid,
                             std::chrono::system_clock::time_point(
                                 std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                     std::chrono::nanoseconds(1'795'589'500'123'456'000))),
                             false,
                             std::numeric_limits<std::uint64_t>::max()};
}

// What a store would return for `data`.
annal::recorded_event record(const annal::event_data& data, std::uint64_t position = 42) {
  annal::recorded_event event;
  event.position = position;
  event.stream_id = "order-7";
  event.stream_version = 3;
  event.type = data.type;
  event.id = data.id;
  event.metadata = data.metadata;
  event.payload = data.payload;
  event.encoding = data.encoding;
  event.type_version = data.type_version;
  return event;
}

annal::recorded_event raw_event(std::string type, std::string payload) {
  annal::recorded_event event;
  event.position = 42;
  event.stream_id = "order-7";
  event.type = std::move(type);
  event.payload = std::move(payload);
  return event;
}

}  // namespace

TEST_CASE("encode writes the type name, a fresh v7 id and compact JSON", "[codec]") {
  auto data = codec::encode(shop::order_paid{12.5});
  CHECK(data.type == "order.paid");
  CHECK(data.payload == R"({"amount":12.5})");
  CHECK(data.encoding == annal::payload_encoding::json);
  CHECK((data.id.bytes()[6] >> 4) == 7);
  CHECK(codec::encode(shop::order_paid{12.5}).id != data.id);
  CHECK(codec::encode(shop::order_cancelled{}).payload == "{}");
}

TEST_CASE("the payload of a realistic event is the exact compact JSON text", "[codec]") {
  CHECK(codec::encode(sample_order()).payload ==
        R"({"customer":"Zoë","lines":[{"sku":"apple","quantity":3,"unit_price":0.5},)"
        R"({"sku":"pear","quantity":1,"unit_price":1.25}],"note":"leave at the door",)"
        R"("tags":{"vip":1},"state":"paid","at":"2026-11-25T06:51:40.123456Z","rush":false,)"
        R"("big":18446744073709551615})");
}

TEST_CASE("encode keeps the metadata", "[codec]") {
  annal::event_metadata metadata{"corr-1", "cause-2", {{"user", "ann"}}};
  auto data = codec::encode(shop::order_paid{1}, metadata);
  CHECK(data.metadata == metadata);
  CHECK(codec::encode(shop::order_event{shop::order_paid{1}}, metadata).metadata == metadata);
}

TEST_CASE("encoding the variant and the alternative give the same event", "[codec]") {
  auto from_variant = codec::encode(shop::order_event{sample_order()});
  auto from_alternative = codec::encode(sample_order());
  CHECK(from_variant.type == from_alternative.type);
  CHECK(from_variant.payload == from_alternative.payload);
}

TEST_CASE("decode returns the alternative named by the event type", "[codec]") {
  auto created = codec::decode(record(codec::encode(sample_order())));
  REQUIRE(std::holds_alternative<shop::order_created>(created));
  CHECK(std::get<shop::order_created>(created) == sample_order());

  auto paid = codec::decode(record(codec::encode(shop::order_paid{-0.25})));
  REQUIRE(std::holds_alternative<shop::order_paid>(paid));
  CHECK(std::get<shop::order_paid>(paid).amount == -0.25);

  auto cancelled = codec::decode(record(codec::encode(shop::order_cancelled{})));
  CHECK(std::holds_alternative<shop::order_cancelled>(cancelled));
}

TEST_CASE("an absent optional round-trips through the codec", "[codec]") {
  auto order = sample_order();
  order.note.reset();
  auto data = codec::encode(order);
  CHECK(data.payload.find("note") == std::string::npos);
  CHECK(std::get<shop::order_created>(codec::decode(record(data))) == order);
}

TEST_CASE("decode_as returns the struct and rejects another type", "[codec]") {
  auto event = record(codec::encode(shop::order_paid{3}));
  CHECK(codec::decode_as<shop::order_paid>(event).amount == 3);
  try {
    codec::decode_as<shop::order_created>(event);
    FAIL("no exception");
  } catch (const annal::decode_failed& e) {
    CHECK(std::string(e.what()) ==
          "annal: cannot decode 'order.paid': expected an event of type 'order.created'");
  }
}

TEST_CASE("an unknown event type fails with its type, stream and position", "[codec]") {
  try {
    codec::decode(raw_event("order.shipped", "{}"));
    FAIL("no exception");
  } catch (const annal::unknown_event_type& e) {
    CHECK(e.type() == "order.shipped");
    CHECK(e.stream_id() == "order-7");
    CHECK(e.position() == 42);
    CHECK(std::string(e.what()) ==
          "annal: unknown event type 'order.shipped' at position 42 in stream 'order-7'");
  }
}

TEST_CASE("malformed JSON fails with an empty field path", "[codec]") {
  try {
    codec::decode(raw_event("order.paid", R"({"amount":)"));
    FAIL("no exception");
  } catch (const annal::decode_failed& e) {
    CHECK(e.type() == "order.paid");
    CHECK(e.field_path().empty());
    CHECK_THAT(e.what(), Catch::StartsWith("annal: cannot decode 'order.paid': malformed JSON: "
                                           "parse error at line 1, column 11"));
  }
  CHECK_THROWS_AS(codec::decode(raw_event("order.paid", "")), annal::decode_failed);
  CHECK_THROWS_AS(codec::decode(raw_event("order.paid", R"({"amount":1} trailing)")),
                  annal::decode_failed);
}

TEST_CASE("a number too large for a double fails to decode instead of escaping", "[codec]") {
  // Found by fuzzing: nlohmann reports it as out_of_range, not as a parse error.
  try {
    codec::decode(raw_event("order.paid", R"({"amount":1e99999})"));
    FAIL("no exception");
  } catch (const annal::decode_failed& e) {
    CHECK(e.field_path().empty());
    CHECK_THAT(e.what(), Catch::Contains("malformed JSON") && Catch::Contains("number overflow"));
  }
}

TEST_CASE("a payload that is not JSON-encoded fails to decode", "[codec]") {
  auto event = raw_event("order.paid", R"({"amount":1})");
  event.encoding = annal::payload_encoding::binary;
  CHECK_THROWS_WITH(codec::decode(event),
                    "annal: cannot decode 'order.paid': the payload is not JSON (binary encoding)");
}

TEST_CASE("a payload that is not an object fails to decode", "[codec]") {
  CHECK_THROWS_WITH(codec::decode(raw_event("order.paid", "12")),
                    "annal: cannot decode 'order.paid': expected object, got number");
}

TEST_CASE("field errors name the event type and the nested field path", "[codec]") {
  auto event = raw_event("order.created",
                         R"({"customer":"a","lines":[{"sku":"x","quantity":1,"unit_price":1},)"
                         R"({"sku":"y","quantity":1.5,"unit_price":1}]})");
  try {
    codec::decode(event);
    FAIL("no exception");
  } catch (const annal::decode_failed& e) {
    CHECK(e.type() == "order.created");
    CHECK(e.field_path() == "lines[1].quantity");
    CHECK(std::string(e.what()) ==
          "annal: cannot decode 'order.created' at field 'lines[1].quantity': expected integer, "
          "got 1.5");
  }
  CHECK_THROWS_WITH(codec::decode(raw_event("order.paid", "{}")),
                    "annal: cannot decode 'order.paid' at field 'amount': missing field");
}

TEST_CASE("unknown JSON members in a stored event are ignored", "[codec]") {
  auto paid = codec::decode(raw_event("order.paid", R"({"currency":"EUR","amount":5,"v":2})"));
  CHECK(std::get<shop::order_paid>(paid).amount == 5);
}

TEST_CASE("a non-finite number cannot be encoded", "[codec]") {
  CHECK_THROWS_WITH(codec::encode(shop::order_paid{std::nan("")}),
                    "annal: invalid argument: cannot encode 'order.paid' at field 'amount': NaN "
                    "cannot be written as a JSON number");
}

TEST_CASE("knows and type_names list the variant's event types in order", "[codec]") {
  CHECK(codec::knows("order.created"));
  CHECK_FALSE(codec::knows("order"));
  CHECK_FALSE(codec::knows(""));
  CHECK(std::vector<std::string_view>(codec::type_names().begin(), codec::type_names().end()) ==
        std::vector<std::string_view>{"order.created", "order.paid", "order.cancelled"});
}

TEST_CASE("encode writes the struct's version, 1 when it declares none", "[codec][type_version]") {
  CHECK(versioned_codec::encode(shop::order_shipped{"post"}).type_version == 2);
  CHECK(versioned_codec::encode(shop::order_paid{1}).type_version == 1);
  auto stored = record(versioned_codec::encode(shop::order_shipped{"post"}));
  CHECK(std::get<shop::order_shipped>(versioned_codec::decode(stored)).carrier == "post");
  CHECK(versioned_codec::decode_as<shop::order_shipped>(stored).carrier == "post");
}

TEST_CASE("an event stored at another version of its type is never decoded as this one",
          "[codec][type_version]") {
  auto stored = record(versioned_codec::encode(shop::order_shipped{"post"}));
  SECTION("newer than the struct") {
    stored.type_version = 3;
    try {
      versioned_codec::decode(stored);
      FAIL("decoded");
    } catch (const annal::unknown_event_type& e) {
      CHECK(e.type() == "order.shipped");
      CHECK(e.type_version() == 3);
      CHECK(e.position() == 42);
      CHECK(std::string(e.what()) ==
            "annal: unknown event type 'order.shipped' version 3 at position 42 in stream "
            "'order-7': newer than version 2, the newest this program knows");
    }
    CHECK_THROWS_AS(versioned_codec::decode_as<shop::order_shipped>(stored),
                    annal::unknown_event_type);
  }
  SECTION("older than the struct") {
    stored.type_version = 1;
    try {
      versioned_codec::decode(stored);
      FAIL("decoded");
    } catch (const annal::unknown_event_type& e) {
      CHECK(e.type_version() == 1);
      CHECK_THAT(e.what(), Catch::Contains("this program knows version 2 and reads no older one"));
    }
  }
  SECTION("an unversioned struct and a stored version 2") {
    auto paid = record(versioned_codec::encode(shop::order_paid{3}));
    paid.type_version = 2;
    CHECK_THROWS_AS(versioned_codec::decode(paid), annal::unknown_event_type);
  }
}

TEST_CASE("an event with a field named version is of type version 1 and keeps the field",
          "[codec][type_version]") {
  using documents = annal::event_codec<std::variant<shop::document_published>>;
  auto data = documents::encode(shop::document_published{7});
  CHECK(data.type_version == 1);
  CHECK(data.payload == R"({"version":7})");
  CHECK(std::get<shop::document_published>(documents::decode(record(data))).version == 7);
}
