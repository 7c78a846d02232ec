// Tests of the automatic JSON encoding of structs and standard types (annal/json.hpp).
#include "annal/json.hpp"

#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "annal/error.hpp"
#include "annal/schema_fingerprint.hpp"
#include "annal/uuid.hpp"
#include "sample_types.hpp"

namespace json_types {

struct point {
  int y;
  int x;
  std::string label;
};

struct scalars {
  bool flag;
  std::int8_t i8;
  std::uint8_t u8;
  std::int16_t i16;
  std::uint16_t u16;
  std::int32_t i32;
  std::uint32_t u32;
  std::int64_t i64;
  std::uint64_t u64;
  char c;
  float f;
  double d;
  std::string s;
  friend bool operator==(const scalars&, const scalars&) = default;
};

enum class status { open, paid, cancelled = -3, far_away = 1000 };
enum class tiny : std::uint8_t { a = 1, b = 2 };

using sample_types::line;
using order = sample_types::order_created;

struct containers {
  std::vector<int> numbers;
  std::array<std::string, 3> three;
  std::vector<std::optional<int>> gaps;
  std::unordered_map<std::string, line> by_sku;
  std::map<std::string, std::vector<int>> nested;
  std::vector<bool> bits;
  std::array<line, 2> pair;
  friend bool operator==(const containers&, const containers&) = default;
};

struct optionals {
  std::optional<int> a;
  std::optional<std::string> b;
  std::optional<line> c;
  friend bool operator==(const optionals&, const optionals&) = default;
};

struct enums {
  status named;
  status unnamed;
  status out_of_range;
  tiny small;
  friend bool operator==(const enums&, const enums&) = default;
};

struct times {
  std::chrono::system_clock::time_point at;
  std::chrono::sys_seconds whole;
  friend bool operator==(const times&, const times&) = default;
};

struct identified {
  annal::uuid id;
  friend bool operator==(const identified&, const identified&) = default;
};

struct with_raw {
  nlohmann::json raw;
  int after;
};

struct with_const {
  const int fixed;
  std::string name;
};

// A value type with its own JSON form, found by argument-dependent lookup. It has a constructor,
// so reflection could not handle it.
class money {
 public:
  money() = default;
  money(std::int64_t cents, std::string currency) : cents_(cents), currency_(std::move(currency)) {}
  std::int64_t cents() const { return cents_; }
  const std::string& currency() const { return currency_; }
  friend bool operator==(const money&, const money&) = default;

 private:
  std::int64_t cents_ = 0;
  std::string currency_;
};

void to_json(nlohmann::json& json, const money& value) {
  json = std::to_string(value.cents()) + " " + value.currency();
}

void from_json(const nlohmann::json& json, money& value) {
  auto text = json.get<std::string>();  // Throws nlohmann's type_error if not a string.
  auto space = text.find(' ');
  value = money(std::stoll(text.substr(0, space)), text.substr(space + 1));
}

struct priced {
  std::string sku;
  money price;
  std::vector<money> history;
  friend bool operator==(const priced&, const priced&) = default;
};

// Custom JSON written to an ordered_json, so the member order is chosen by the type.
struct version {
  int major = 0;
  int minor = 0;
};

void to_json(nlohmann::ordered_json& json, const version& value) {
  json["minor"] = value.minor;
  json["major"] = value.major;
}

void from_json(const nlohmann::json& json, version& value) {
  value.major = json.at("major").get<int>();
  value.minor = json.at("minor").get<int>();
}

struct renamed {
  static constexpr std::array<std::string_view, 2> fields{"first-name", "Age"};
  std::string first_name;
  int age;
};

struct narrow {
  std::uint8_t u8;
  std::int16_t i16;
  std::uint64_t u64;
  std::int64_t i64;
  float f;
};

// Types that cannot be reflected: each makes to_json_value fail to compile with an "annal:"
// message. The traits behind those messages are checked here.
struct base_part {
  int a;
};
struct derived : base_part {
  int b;
};
struct with_constructor {
  explicit with_constructor(int value) : x(value) {}
  int x;
};
struct polymorphic {
  virtual ~polymorphic() = default;
  int x;
};
struct with_reference {
  const int& r;
};
struct has_fields_and_type_members {
  int fields;
  std::string type;
};

}  // namespace json_types

// Types whose JSON form comes from nlohmann::adl_serializer specializations, as a library that
// cannot add to_json beside its own types would give them.
namespace serialized {
struct celsius {
  double degrees;
  friend bool operator==(const celsius&, const celsius&) = default;
};
struct reading {
  std::string room;
  celsius temperature;
  friend bool operator==(const reading&, const reading&) = default;
};
struct plain_reading {
  std::string room;
  double temperature;
};
}  // namespace serialized

template <>
struct nlohmann::adl_serializer<serialized::celsius> {
  static void to_json(nlohmann::json& j, const serialized::celsius& c) {
    std::ostringstream text;
    text << c.degrees << " C";
    j = text.str();
  }
  static void from_json(const nlohmann::json& j, serialized::celsius& c) {
    std::istringstream text(j.get<std::string>());
    text >> c.degrees;
  }
};

namespace j = json_types;
using annal::from_json_value;
using annal::to_json_value;

namespace {

template <class T>
T round_trip(const T& value) {
  return from_json_value<T>(nlohmann::json::parse(to_json_value(value).dump()));
}

// The decode_failed thrown by decoding `text` as T.
template <class T>
annal::decode_failed decode_error(const std::string& text) {
  try {
    from_json_value<T>(nlohmann::json::parse(text));
  } catch (const annal::decode_failed& e) {
    return e;
  }
  FAIL("no decode_failed for " << text);
  throw;
}

std::chrono::system_clock::time_point at_ns(std::int64_t ns) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(ns)));
}

j::order sample_order() {
  return j::order{"Zoë",
                  {{"apple", 3, 0.5}, {"pear", -2, 1.25}},
                  std::nullopt,
                  {{"vip", 1}, {"region", -4}},
                  sample_types::status::paid,
                  at_ns(1'795'589'500'123'000'000),
                  true,
                  std::numeric_limits<std::uint64_t>::max()};
}

}  // namespace

TEST_CASE("a struct encodes to exact JSON text with fields in declaration order", "[json]") {
  CHECK(to_json_value(j::point{2, 1, "p"}).dump() == R"({"y":2,"x":1,"label":"p"})");
}

TEST_CASE("a realistic event encodes to the documented JSON text", "[json]") {
  CHECK(to_json_value(sample_order()).dump() ==
        R"({"customer":"Zoë","lines":[{"sku":"apple","quantity":3,"unit_price":0.5},)"
        R"({"sku":"pear","quantity":-2,"unit_price":1.25}],"tags":{"region":-4,"vip":1},)"
        R"("state":"paid","at":"2026-11-25T06:51:40.123Z","rush":true,)"
        R"("big":18446744073709551615})");
  CHECK(round_trip(sample_order()) == sample_order());
}

TEST_CASE("every scalar type round-trips, including the integer extremes", "[json]") {
  j::scalars lowest{false,
                    std::numeric_limits<std::int8_t>::min(),
                    0,
                    std::numeric_limits<std::int16_t>::min(),
                    0,
                    std::numeric_limits<std::int32_t>::min(),
                    0,
                    std::numeric_limits<std::int64_t>::min(),
                    0,
                    'a',
                    -std::numeric_limits<float>::max(),
                    -std::numeric_limits<double>::max(),
                    ""};
  j::scalars highest{true,
                     std::numeric_limits<std::int8_t>::max(),
                     std::numeric_limits<std::uint8_t>::max(),
                     std::numeric_limits<std::int16_t>::max(),
                     std::numeric_limits<std::uint16_t>::max(),
                     std::numeric_limits<std::int32_t>::max(),
                     std::numeric_limits<std::uint32_t>::max(),
                     std::numeric_limits<std::int64_t>::max(),
                     std::numeric_limits<std::uint64_t>::max(),
                     '\x7f',
                     std::numeric_limits<float>::denorm_min(),
                     std::numeric_limits<double>::denorm_min(),
                     "text"};
  j::scalars negative{false,         -1,  1,     -300,      300, -70000, 70000, -5'000'000'000,
                      5'000'000'000, '-', -0.1f, -2.5e-300, "-"};
  CHECK(round_trip(lowest) == lowest);
  CHECK(round_trip(highest) == highest);
  CHECK(round_trip(negative) == negative);
}

TEST_CASE("64-bit extremes are written exactly", "[json]") {
  j::scalars s{};
  s.i64 = std::numeric_limits<std::int64_t>::min();
  s.u64 = std::numeric_limits<std::uint64_t>::max();
  auto text = to_json_value(s).dump();
  CHECK(text.find(R"("i64":-9223372036854775808)") != std::string::npos);
  CHECK(text.find(R"("u64":18446744073709551615)") != std::string::npos);
}

TEST_CASE("floats are written with their shortest decimal form", "[json]") {
  j::scalars s{};
  s.f = 0.1f;
  s.d = 0.1;
  auto text = to_json_value(s).dump();
  CHECK(text.find(R"("f":0.1,)") != std::string::npos);
  CHECK(text.find(R"("d":0.1,)") != std::string::npos);
}

TEST_CASE("unicode and control characters in strings round-trip", "[json]") {
  j::point p{0, 0, "Zoë — 日本語 🎉 \"quoted\" back\\slash\nnew line\ttab\x01"};
  CHECK(round_trip(p).label == p.label);
  CHECK(to_json_value(p).dump().find(R"(\u0001)") != std::string::npos);
}

TEST_CASE("nested structs and vectors of structs round-trip as objects and arrays", "[json]") {
  auto json = to_json_value(sample_order());
  REQUIRE(json["lines"].is_array());
  CHECK(json["lines"][1]["sku"] == "pear");
  CHECK(json["lines"][1]["quantity"] == -2);
  auto back = round_trip(sample_order());
  CHECK(back.lines == sample_order().lines);
}

TEST_CASE("containers round-trip", "[json]") {
  j::containers c{{1, -2, 3},
                  {"a", "", "c"},
                  {1, std::nullopt, 3},
                  {{"b", {"b", 2, 2.0}}, {"a", {"a", 1, 1.0}}},
                  {{"empty", {}}, {"full", {1, 2}}},
                  {true, false, true},
                  {{{"l1", 1, 0.5}, {"l2", 2, 0.25}}}};
  CHECK(round_trip(c) == c);
  j::containers empty{};
  CHECK(round_trip(empty) == empty);
}

TEST_CASE("unordered maps are written with sorted keys so the text is deterministic", "[json]") {
  j::containers c{};
  for (int i = 0; i < 50; ++i) {
    std::string key = "k" + std::to_string((i * 37) % 50);
    c.by_sku[key] = {key, i, 0};
  }
  auto json = to_json_value(c);
  std::string previous;
  for (const auto& [key, value] : json["by_sku"].items()) {
    CHECK(previous < key);
    previous = key;
  }
}

TEST_CASE("an empty optional field is left out and a present one is written as its value",
          "[json]") {
  CHECK(to_json_value(j::optionals{}).dump() == "{}");
  CHECK(to_json_value(j::optionals{1, "x", j::line{"s", 1, 1.5}}).dump() ==
        R"({"a":1,"b":"x","c":{"sku":"s","quantity":1,"unit_price":1.5}})");
  CHECK(round_trip(j::optionals{}) == j::optionals{});
  CHECK(round_trip(j::optionals{0, "", j::line{}}) == j::optionals{0, "", j::line{}});
}

TEST_CASE("an absent or null optional field decodes as nullopt", "[json]") {
  CHECK(from_json_value<j::optionals>(nlohmann::json::parse("{}")) == j::optionals{});
  CHECK(from_json_value<j::optionals>(nlohmann::json::parse(R"({"a":null,"b":null,"c":null})")) ==
        j::optionals{});
}

TEST_CASE("an empty optional inside an array is written as null", "[json]") {
  j::containers c{};
  c.gaps = {std::nullopt, 2};
  CHECK(to_json_value(c)["gaps"].dump() == "[null,2]");
}

TEST_CASE("enums are written by name, or as integers when the value has no name", "[json]") {
  j::enums e{j::status::paid, static_cast<j::status>(42), j::status::far_away, j::tiny::b};
  CHECK(to_json_value(e).dump() ==
        R"({"named":"paid","unnamed":42,"out_of_range":1000,"small":"b"})");
  CHECK(round_trip(e) == e);
  j::enums negative{j::status::cancelled, static_cast<j::status>(-100), j::status::open,
                    static_cast<j::tiny>(255)};
  CHECK(to_json_value(negative).dump() ==
        R"({"named":"cancelled","unnamed":-100,"out_of_range":"open","small":255})");
  CHECK(round_trip(negative) == negative);
}

TEST_CASE("enums decode from the name or from an integer", "[json]") {
  auto e = from_json_value<j::enums>(
      nlohmann::json::parse(R"({"named":1,"unnamed":"cancelled","out_of_range":7,"small":2})"));
  CHECK(e.named == j::status::paid);
  CHECK(e.unnamed == j::status::cancelled);
  CHECK(static_cast<int>(e.out_of_range) == 7);
  CHECK(e.small == j::tiny::b);
}

TEST_CASE("an unknown enumerator name or an out-of-range integer fails to decode", "[json]") {
  auto e = decode_error<j::enums>(R"({"named":"refunded","unnamed":0,"out_of_range":0,"small":1})");
  CHECK(e.field_path() == "named");
  CHECK(std::string(e.what()) ==
        "annal: cannot decode 'json_types::enums' at field 'named': 'refunded' is not an "
        "enumerator of json_types::status");
  auto range = decode_error<j::enums>(R"({"named":0,"unnamed":0,"out_of_range":0,"small":256})");
  CHECK(range.field_path() == "small");
  CHECK(std::string(range.what()).find("256 is out of range [0, 255]") != std::string::npos);
  auto kind = decode_error<j::enums>(R"({"named":true})");
  CHECK(std::string(kind.what()).find("expected enumerator name or integer, got boolean") !=
        std::string::npos);
}

TEST_CASE("time points are written as RFC 3339 UTC with 0, 3, 6 or 9 fraction digits", "[json]") {
  const std::int64_t base = 1'795'589'500'000'000'000;
  const std::pair<std::int64_t, const char*> cases[] = {
      {0, "2026-11-25T06:51:40Z"},
      {123'000'000, "2026-11-25T06:51:40.123Z"},
      {123'456'000, "2026-11-25T06:51:40.123456Z"},
      {123'456'789, "2026-11-25T06:51:40.123456789Z"},
  };
  for (const auto& [fraction, text] : cases) {
    j::times t{at_ns(base + fraction),
               std::chrono::sys_seconds(std::chrono::seconds(base / 1'000'000'000))};
    auto json = to_json_value(t);
    CHECK(json["at"] == text);
    CHECK(json["whole"] == "2026-11-25T06:51:40Z");
    CHECK(round_trip(t) == t);
  }
}

TEST_CASE("time points decode from any RFC 3339 offset and reject other text", "[json]") {
  auto t = from_json_value<j::times>(nlohmann::json::parse(
      R"({"at":"2026-11-25T08:51:40.5+02:00","whole":"2026-11-25T06:51:40Z"})"));
  CHECK(t.at == at_ns(1'795'589'500'500'000'000));
  auto bad = decode_error<j::times>(R"({"at":"25/11/2026","whole":"2026-11-25T06:51:40Z"})");
  CHECK(bad.field_path() == "at");
  CHECK(std::string(bad.what()) ==
        "annal: cannot decode 'json_types::times' at field 'at': '25/11/2026' is not an RFC 3339 "
        "time: expected a date YYYY-MM-DD");
  auto precise =
      decode_error<j::times>(R"({"at":"2026-11-25T06:51:40Z","whole":"2026-11-25T06:51:40.5Z"})");
  CHECK(precise.field_path() == "whole");
  CHECK(std::string(precise.what()).find("more precise than the field can hold") !=
        std::string::npos);
}

TEST_CASE("uuids are written in canonical text and round-trip", "[json]") {
  j::identified id{annal::uuid::parse("0190F3A2-7B1C-7D4E-8F00-0123456789AB")};
  CHECK(to_json_value(id).dump() == R"({"id":"0190f3a2-7b1c-7d4e-8f00-0123456789ab"})");
  CHECK(round_trip(id) == id);
  auto bad = decode_error<j::identified>(R"({"id":"not-a-uuid"})");
  CHECK(bad.field_path() == "id");
  CHECK(std::string(bad.what()).find("'not-a-uuid' is not a UUID") != std::string::npos);
}

TEST_CASE("nlohmann::json fields are copied as they are", "[json]") {
  j::with_raw raw{nlohmann::json::parse(R"({"any":[1,"two",null]})"), 3};
  CHECK(to_json_value(raw).dump() == R"({"raw":{"any":[1,"two",null]},"after":3})");
  auto back = round_trip(raw);
  CHECK(back.raw == raw.raw);
  CHECK(back.after == 3);
}

TEST_CASE("const fields are decoded", "[json]") {
  auto value = round_trip(j::with_const{7, "seven"});
  CHECK(value.fixed == 7);
  CHECK(value.name == "seven");
}

TEST_CASE("a missing field fails with its path", "[json]") {
  auto e = decode_error<j::order>(
      R"({"customer":"a","lines":[{"sku":"x","quantity":1,"unit_price":1},)"
      R"({"quantity":1,"unit_price":1}],)"
      R"("tags":{},"state":"open","at":"2026-11-25T06:51:40Z","rush":false,"big":1})");
  CHECK(e.type() == "order.created");
  CHECK(e.field_path() == "lines[1].sku");
  CHECK(std::string(e.what()) ==
        "annal: cannot decode 'order.created' at field 'lines[1].sku': missing field");
  CHECK(e.code() == annal::errc::decode_failed);
}

TEST_CASE("a value of the wrong JSON type fails with its nested path", "[json]") {
  auto e =
      decode_error<j::order>(R"({"customer":"a","lines":[{"sku":"x","quantity":1,"unit_price":1},)"
                             R"({"sku":"y","quantity":"2","unit_price":1}]})");
  CHECK(e.field_path() == "lines[1].quantity");
  CHECK(std::string(e.what()) ==
        "annal: cannot decode 'order.created' at field 'lines[1].quantity': expected integer, got "
        "string");
  auto map_value = decode_error<j::order>(R"({"customer":"a","lines":[],"tags":{"vip":true}})");
  CHECK(map_value.field_path() == "tags.vip");
  CHECK(std::string(map_value.what()).find("expected integer, got boolean") != std::string::npos);
  auto odd_key = decode_error<j::order>(R"({"customer":"a","lines":[],"tags":{"a.b c":"x"}})");
  CHECK(odd_key.field_path() == R"(tags["a.b c"])");
  auto string_field = decode_error<j::point>(R"({"y":1,"x":2,"label":3})");
  CHECK(std::string(string_field.what()).find("expected string, got number") != std::string::npos);
  auto null_field = decode_error<j::point>(R"({"y":null,"x":2,"label":"a"})");
  CHECK(std::string(null_field.what()).find("'y': expected integer, got null") !=
        std::string::npos);
  auto not_object = decode_error<j::point>("[1,2]");
  CHECK(not_object.field_path().empty());
  CHECK(std::string(not_object.what()) ==
        "annal: cannot decode 'json_types::point': expected object, got array");
  auto flag = decode_error<j::scalars>(R"({"flag":1})");
  CHECK(std::string(flag.what()).find("expected boolean, got number") != std::string::npos);
  auto double_field = decode_error<j::line>(R"({"sku":"a","quantity":1,"unit_price":"1.5"})");
  CHECK(std::string(double_field.what()).find("expected number, got string") != std::string::npos);
  auto array = decode_error<j::containers>(R"({"numbers":{}})");
  CHECK(std::string(array.what()).find("'numbers': expected array, got object") !=
        std::string::npos);
}

TEST_CASE("integers out of the field's range fail to decode", "[json]") {
  auto base = R"("i16":0,"u64":0,"i64":0,"f":0)";
  auto e = decode_error<j::narrow>(std::string(R"({"u8":300,)") + base + "}");
  CHECK(e.field_path() == "u8");
  CHECK(std::string(e.what()) ==
        "annal: cannot decode 'json_types::narrow' at field 'u8': 300 is out of range [0, 255]");
  CHECK(std::string(decode_error<j::narrow>(R"({"u8":-1})").what())
            .find("-1 is out of range [0, 255]") != std::string::npos);
  CHECK(std::string(decode_error<j::narrow>(R"({"u8":1,"i16":-32769})").what())
            .find("-32769 is out of range [-32768, 32767]") != std::string::npos);
  CHECK(std::string(decode_error<j::narrow>(R"({"u8":1,"i16":1,"u64":-1})").what())
            .find("-1 is out of range [0, 18446744073709551615]") != std::string::npos);
  CHECK(decode_error<j::narrow>(R"({"u8":1,"i16":1,"u64":1,"i64":9223372036854775808})")
            .field_path() == "i64");
  CHECK(decode_error<j::narrow>(R"({"u8":1,"i16":1,"u64":18446744073709551616})").field_path() ==
        "u64");
  CHECK(decode_error<j::narrow>(R"({"u8":1,"i16":1,"u64":1,"i64":1,"f":1e300})").field_path() ==
        "f");
}

TEST_CASE("integers written as exact floating-point numbers are accepted", "[json]") {
  auto value = from_json_value<j::narrow>(
      nlohmann::json::parse(R"({"u8":3.0,"i16":-2e2,"u64":1e19,"i64":-4,"f":5})"));
  CHECK(value.u8 == 3);
  CHECK(value.i16 == -200);
  CHECK(value.u64 == 10'000'000'000'000'000'000u);
  CHECK(value.f == 5.0f);
  auto fraction = decode_error<j::narrow>(R"({"u8":2.5})");
  CHECK(std::string(fraction.what()).find("'u8': expected integer, got 2.5") != std::string::npos);
}

TEST_CASE("non-finite numbers cannot be encoded and the error names the field", "[json]") {
  auto order = sample_order();
  order.lines[1].unit_price = std::numeric_limits<double>::quiet_NaN();
  try {
    to_json_value(order);
    FAIL("no exception");
  } catch (const annal::invalid_argument& e) {
    CHECK(std::string(e.what()) ==
          "annal: invalid argument: cannot encode 'order.created' at field "
          "'lines[1].unit_price': NaN cannot be written as a JSON number");
  }
  j::scalars s{};
  s.f = std::numeric_limits<float>::infinity();
  CHECK_THROWS_WITH(to_json_value(s), Catch::Contains("at field 'f': infinity"));
  s.f = 0;
  s.d = -std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(to_json_value(s), annal::invalid_argument);
}

TEST_CASE("strings that are not valid UTF-8 cannot be encoded", "[json]") {
  CHECK_THROWS_WITH(to_json_value(j::point{0, 0, "bad \xff byte"}),
                    "annal: invalid argument: cannot encode 'json_types::point' at field 'label': "
                    "the string is not valid UTF-8");
  CHECK_THROWS_AS(to_json_value(j::point{0, 0, "\xed\xa0\x80"}), annal::invalid_argument);
  CHECK_THROWS_AS(to_json_value(j::point{0, 0, "\xc0\xaf"}), annal::invalid_argument);
  CHECK_THROWS_AS(to_json_value(j::point{0, 0, "cut \xe6\x97"}), annal::invalid_argument);
}

TEST_CASE("unknown JSON members are ignored", "[json]") {
  auto value = from_json_value<j::order>(nlohmann::json::parse(
      R"({"version":2,"customer":"a",)"
      R"("lines":[{"sku":"x","quantity":1,"unit_price":2,"color":"red"}],)"
      R"("tags":{},"state":"open","at":"2026-11-25T06:51:40Z","rush":false,"big":1,)"
      R"("extra":{"deep":[1]}})"));
  CHECK(value.customer == "a");
  CHECK(value.lines == std::vector<j::line>{{"x", 1, 2.0}});
}

TEST_CASE("a type with its own to_json and from_json is encoded with them", "[json]") {
  j::priced p{"apple", j::money(1234, "EUR"), {j::money(1, "USD"), j::money(-5, "JPY")}};
  CHECK(to_json_value(p).dump() ==
        R"({"sku":"apple","price":"1234 EUR","history":["1 USD","-5 JPY"]})");
  CHECK(round_trip(p) == p);
  CHECK(to_json_value(j::money(7, "GBP")).dump() == R"("7 GBP")");
}

TEST_CASE("a custom to_json for ordered_json is preferred and keeps its member order", "[json]") {
  CHECK(to_json_value(j::version{1, 2}).dump() == R"({"minor":2,"major":1})");
  auto back = from_json_value<j::version>(nlohmann::json::parse(R"({"major":3,"minor":4})"));
  CHECK(back.major == 3);
  CHECK(back.minor == 4);
  auto missing = decode_error<j::version>(R"({"major":3})");
  CHECK(std::string(missing.what()).find("key 'minor' not found") != std::string::npos);
}

TEST_CASE("an nlohmann exception from a custom from_json becomes decode_failed with the path",
          "[json]") {
  auto e = decode_error<j::priced>(R"({"sku":"apple","price":"1 EUR","history":["2 EUR",3]})");
  CHECK(e.field_path() == "history[1]");
  CHECK(std::string(e.what()).find("type must be string, but is number") != std::string::npos);
}

TEST_CASE("an nlohmann::adl_serializer specialization gives a struct its JSON form", "[json]") {
  // A library's struct annal would otherwise reflect; its owner gave it a serializer instead.
  serialized::celsius c{21.5};
  CHECK(to_json_value(c).dump() == R"("21.5 C")");
  CHECK(from_json_value<serialized::celsius>(nlohmann::json("-3 C")).degrees == -3.0);
  serialized::reading r{"kitchen", {19.0}};
  CHECK(to_json_value(r).dump() == R"({"room":"kitchen","temperature":"19 C"})");
  CHECK(round_trip(r) == r);
  auto e = decode_error<serialized::reading>(R"({"room":"hall","temperature":19})");
  CHECK(e.field_path() == "temperature");
  // A custom form is opaque to the schema fingerprint: the serializer's type stands for it.
  CHECK(annal::schema_fingerprint<serialized::reading>() !=
        annal::schema_fingerprint<serialized::plain_reading>());
}

TEST_CASE("a static fields array renames the JSON members", "[json]") {
  CHECK(to_json_value(j::renamed{"Ann", 40}).dump() == R"({"first-name":"Ann","Age":40})");
  auto back = from_json_value<j::renamed>(nlohmann::json::parse(R"({"first-name":"Bo","Age":3})"));
  CHECK(back.first_name == "Bo");
  CHECK(back.age == 3);
  CHECK(decode_error<j::renamed>(R"({"first_name":"Bo","age":3})").field_path() == "first-name");
}

TEST_CASE("both nlohmann::json and ordered_json values decode", "[json]") {
  nlohmann::ordered_json ordered = to_json_value(j::point{1, 2, "a"});
  nlohmann::json plain = nlohmann::json::parse(ordered.dump());
  CHECK(from_json_value<j::point>(ordered).label == "a");
  CHECK(from_json_value<j::point>(plain).x == 2);
}

TEST_CASE("the type name in errors can be given explicitly", "[json]") {
  try {
    from_json_value<j::point>(nlohmann::json::parse("{}"), "shape.moved");
    FAIL("no exception");
  } catch (const annal::decode_failed& e) {
    CHECK(e.type() == "shape.moved");
    CHECK(std::string(e.what()) ==
          "annal: cannot decode 'shape.moved' at field 'y': missing field");
  }
}

TEST_CASE("non-struct values encode and decode at the top level", "[json]") {
  CHECK(to_json_value(std::vector<int>{1, 2}).dump() == "[1,2]");
  CHECK(to_json_value(j::status::open).dump() == R"("open")");
  CHECK(to_json_value(std::optional<int>{}).dump() == "null");
  CHECK(from_json_value<std::map<std::string, int>>(nlohmann::json::parse(R"({"a":1})")) ==
        std::map<std::string, int>{{"a", 1}});
  try {
    from_json_value<std::vector<int>>(nlohmann::json::parse("[1,true]"));
    FAIL("no exception");
  } catch (const annal::decode_failed& e) {
    CHECK(e.field_path() == "[1]");
  }
}

TEST_CASE("std::array must have exactly its size", "[json]") {
  auto e = decode_error<j::containers>(R"({"numbers":[],"three":["a","b"]})");
  CHECK(e.field_path() == "three");
  CHECK(std::string(e.what()).find("expected array of 3 elements, got 2") != std::string::npos);
}

TEST_CASE("types that cannot be reflected are recognised at compile time", "[json]") {
  using annal::detail::is_reflectable;
  STATIC_REQUIRE(is_reflectable<j::line>());
  STATIC_REQUIRE(is_reflectable<j::containers>());
  STATIC_REQUIRE_FALSE(is_reflectable<j::derived>());
  STATIC_REQUIRE_FALSE(is_reflectable<j::with_constructor>());
  STATIC_REQUIRE_FALSE(is_reflectable<j::polymorphic>());
  STATIC_REQUIRE_FALSE(is_reflectable<j::with_reference>());
}

TEST_CASE("data members called fields or type are ordinary fields", "[json]") {
  STATIC_REQUIRE_FALSE(annal::detail::has_fields_override<j::has_fields_and_type_members>);
  STATIC_REQUIRE_FALSE(annal::detail::has_static_type_name<j::has_fields_and_type_members>);
  CHECK(to_json_value(j::has_fields_and_type_members{1, "t"}).dump() ==
        R"({"fields":1,"type":"t"})");
}

TEST_CASE("the customization point is detected by argument-dependent lookup only", "[json]") {
  STATIC_REQUIRE(annal::detail::has_custom_json<j::money>);
  STATIC_REQUIRE_FALSE(annal::detail::has_custom_json<j::line>);
  STATIC_REQUIRE_FALSE(annal::detail::has_custom_json<int>);
  STATIC_REQUIRE_FALSE(annal::detail::has_custom_json<std::string>);
  STATIC_REQUIRE_FALSE(annal::detail::has_custom_json<std::vector<j::money>>);
}
