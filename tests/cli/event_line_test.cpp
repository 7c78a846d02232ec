// The export line format: exact round trips of awkward payloads, names and base64, and clear
// errors for malformed lines.
#include "event_line.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>

#include "annal/error.hpp"
#include "base64.hpp"

using namespace annal;
using annal::cli::append_event_line;
using annal::cli::base64_decode;
using annal::cli::base64_encode;
using annal::cli::parse_event_line;

namespace {

recorded_event sample(std::string payload, payload_encoding encoding = payload_encoding::json) {
  recorded_event e;
  e.position = 42;
  e.stream_id = "order-7";
  e.stream_version = 3;
  e.type = "order.paid";
  e.id = uuid::parse("0193a1b2-0000-7000-8000-00000000002a");
  e.timestamp =
      std::chrono::system_clock::time_point(std::chrono::microseconds(1'764'464'400'000'001));
  e.payload = std::move(payload);
  e.encoding = encoding;
  return e;
}

std::string line_of(const recorded_event& e) {
  std::string out;
  append_event_line(out, e);
  return out;
}

// The line without its '\n', parsed back.
recorded_event round_trip(const recorded_event& e) {
  std::string line = line_of(e);
  REQUIRE(line.back() == '\n');
  line.pop_back();
  return parse_event_line(line);
}

}  // namespace

TEST_CASE("a JSON payload is written as it is, last, and read back byte for byte", "[event_line]") {
  auto e = sample(R"({"note":"a } , ] \" \\ {","n":[1,{"x":[]}],"f":1.50,"z":null})");
  e.metadata.correlation_id = "req-1";
  e.metadata.properties = {{"b", "2"}, {"a", "1"}};
  CHECK(line_of(e) ==
        "{\"position\":42,\"stream\":\"order-7\",\"version\":3,\"type\":\"order.paid\",\"id\":"
        "\"0193a1b2-0000-7000-8000-00000000002a\",\"timestamp\":\"2025-11-30T01:00:00.000001Z\","
        "\"encoding\":\"json\",\"metadata\":{\"correlation_id\":\"req-1\",\"properties\":{\"a\":"
        "\"1\",\"b\":\"2\"}},\"payload\":" +
            e.payload + "}\n");
  CHECK(round_trip(e) == e);
}

TEST_CASE("payloads that cannot be carried verbatim travel in base64", "[event_line]") {
  for (std::string payload : {std::string("{\n  \"pretty\": true\n}"), std::string(" 17"),
                              std::string("not json"), std::string(), std::string("\0\xff", 2)}) {
    INFO(payload);
    auto json = sample(payload);
    CHECK(line_of(json).find("\"payload_base64\":\"" + base64_encode(payload) + "\"}\n") !=
          std::string::npos);
    CHECK(round_trip(json) == json);
    auto binary = sample(payload, payload_encoding::binary);
    CHECK(round_trip(binary) == binary);
  }
}

TEST_CASE("stream ids and types that are not UTF-8 travel in base64", "[event_line]") {
  auto e = sample("{}");
  e.stream_id = "s\xff";
  e.type = "t\xfe";
  std::string line = line_of(e);
  CHECK(line.find("\"stream_base64\":\"c/8=\"") != std::string::npos);
  CHECK(line.find("\"type_base64\":\"dP4=\"") != std::string::npos);
  CHECK(round_trip(e) == e);
  auto quoted = sample("{}");
  quoted.stream_id = "a \"quoted\"\tid\x01 ü";
  CHECK(line_of(quoted).find(R"("stream":"a \"quoted\"\tid\u0001 ü")") != std::string::npos);
  CHECK(round_trip(quoted) == quoted);
}

TEST_CASE("members may come in any order with whitespace between tokens", "[event_line]") {
  auto e = sample(R"({"k": [1, 2]})");
  auto parsed = parse_event_line(
      R"( { "payload" : {"k": [1, 2]} , "encoding":"json", "timestamp":"2025-11-30T02:00:00.000001+01:00",)"
      R"( "id":"0193A1B2-0000-7000-8000-00000000002A", "type":"order.paid", "version":3,)"
      R"( "stream":"order-7", "position":42 } )");
  CHECK(parsed == e);
}

TEST_CASE("malformed lines are refused with the member at fault", "[event_line]") {
  std::string good = line_of(sample("{}"));
  good.pop_back();
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string line = good;
    line.replace(line.find(from), from.size(), to);
    return line;
  };
  struct bad_line {
    std::string line;
    std::string message;
  };
  std::vector<bad_line> cases{
      {"", "expected '{'"},
      {"[]", "expected '{'"},
      {good + "x", "text follows the object"},
      {good.substr(0, good.size() - 1), "expected '}'"},
      {good.substr(0, good.size() - 2), "not closed"},
      {replaced("\"position\":42", "\"position\":0"), "\"position\" must be a whole number"},
      {replaced("\"position\":42", "\"position\":\"42\""), "\"position\" must be a whole number"},
      {replaced("\"version\":3", "\"version\":-3"), "\"version\" must be a whole number"},
      {replaced("\"encoding\":\"json\"", "\"encoding\":\"cbor\""), "\"encoding\" must be"},
      {replaced(".000001Z", ".000001001Z"), "more precise than a microsecond"},
      {replaced("2025-11-30", "2025-13-30"), "invalid_argument"},
      {replaced("\"metadata\":{}", "\"metadata\":[]"), "\"metadata\" must be an object"},
      {replaced("\"metadata\":{}", "\"metadata\":{\"properties\":{\"a\":1}}"),
       "\"metadata\" must hold only"},
      {replaced("\"payload\":{}", "\"payload\":{,}"), "\"payload\" is not valid JSON"},
      {replaced("\"payload\":{}", "\"payload_base64\":\"@@\""), "not valid base64"},
      {replaced("\"type\":", "\"type\":\"x\",\"type\":"), "appears twice"},
      {replaced("\"payload\":{}", "\"payload\":{},\"payload_base64\":\"\""), "exactly one of"},
      {replaced("\"id\":", "\"type_version\":0,\"id\":"),
       "\"type_version\" must be a whole number"},
      {replaced("\"id\":", "\"type_version\":65536,\"id\":"),
       "\"type_version\" must be at most 65535, not 65536"},
      {replaced("\"id\":", "\"type_version\":\"2\",\"id\":"), "\"type_version\" must be"},
  };
  for (const auto& c : cases) {
    INFO(c.line);
    try {
      parse_event_line(c.line);
      FAIL("accepted");
    } catch (const annal::invalid_argument& e) {
      if (c.message != "invalid_argument") {
        CHECK(std::string(e.what()).find(c.message) != std::string::npos);
      }
    }
  }
}

TEST_CASE("metadata must hold only what annal stores: nothing is dropped", "[event_line]") {
  std::string good = line_of(sample("{}"));
  good.pop_back();
  auto with_metadata = [&](const std::string& metadata) {
    std::string line = good;
    line.replace(line.find("\"metadata\":{}"), 13, "\"metadata\":" + metadata);
    return line;
  };
  struct bad_metadata {
    std::string metadata;
    std::string message;
  };
  std::vector<bad_metadata> cases{
      {R"({"x":"y"})", R"(member "metadata" has an unknown key "x")"},
      {R"({"correlation_id":"a","tenant":"t"})", R"(unknown key "tenant")"},
      {R"({"correlation_id":"a","correlation_id":"b"})", R"(key "correlation_id" appears twice)"},
      {R"({"properties":{"k":"1","k":"2"}})", R"(key "k" appears twice)"},
      {R"({"properties":{"a":1}})", "must hold only"},
      {R"({"properties":[]})", "must hold only"},
      {R"({"correlation_id":null})", "must hold only"},
      {R"({"causation_id":7})", "must hold only"},
  };
  for (const auto& c : cases) {
    INFO(c.metadata);
    try {
      parse_event_line(with_metadata(c.metadata));
      FAIL("accepted");
    } catch (const annal::invalid_argument& e) {
      CHECK(std::string(e.what()).find(c.message) != std::string::npos);
    }
  }
  // What is accepted is kept whole: exported again, a line in export form is the same line.
  std::string exported = with_metadata(
      R"({"causation_id":"cmd-\"1\"","correlation_id":"req-1","properties":{"a":"1","b":"é"}})");
  CHECK(line_of(parse_event_line(exported)) == exported + "\n");
  std::string handwritten = with_metadata(
      R"({"properties":{"b":"\u00e9","a":"1"},"correlation_id":"req-1","causation_id":"cmd-\"1\""})");
  CHECK(line_of(parse_event_line(handwritten)) == exported + "\n");
  auto spaced =
      parse_event_line(with_metadata(R"( { "properties" : { "b" : "2" , "a" : "1" } } )"));
  CHECK(spaced.metadata.properties == std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}});
}

TEST_CASE("a JSON payload nested deeper than annal::max_payload_nesting is refused",
          "[event_line]") {
  auto nested = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  auto at_limit = sample(nested(annal::max_payload_nesting));
  CHECK(round_trip(at_limit) == at_limit);
  for (std::size_t depth : {annal::max_payload_nesting + 1, std::size_t{100000}}) {
    INFO(depth);
    for (auto encoding : {payload_encoding::json, payload_encoding::binary}) {
      std::string line = line_of(sample(nested(depth), encoding));
      line.pop_back();
      if (encoding == payload_encoding::binary) {
        CHECK(parse_event_line(line).payload == nested(depth));  // bytes, not JSON
        continue;
      }
      try {
        parse_event_line(line);
        FAIL("accepted");
      } catch (const annal::invalid_argument& e) {
        CHECK(std::string(e.what()).find(
                  "member \"payload\" is JSON nested more than 256 levels deep") !=
              std::string::npos);
      }
    }
  }
}

TEST_CASE("a stored payload nested 100,000 deep is printed without recursion", "[event_line]") {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto e = sample(deep);
  CHECK(line_of(e).ends_with(",\"payload\":" + deep + "}\n"));
  std::string pretty = annal::cli::pretty_event(e);
  CHECK(pretty.rfind("{\n  \"position\": 42,\n", 0) == 0);
  CHECK(pretty.ends_with(",\n  \"payload\": " + deep + "\n}"));
  CHECK(nlohmann::json::accept(pretty));
}

TEST_CASE("base64 decoding is strict", "[event_line]") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foob") == "Zm9vYg==");
  for (std::string text : {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "AAH//go="}) {
    auto bytes = base64_decode(text);
    REQUIRE(bytes);
    CHECK(base64_encode(*bytes) == text);
  }
  for (std::string bad : {"Zg=", "Zg", "Z===", "Zh==", "Zm9=", "Zm 9", "Zm9v\n", "=Zm9"}) {
    INFO(bad);
    CHECK_FALSE(base64_decode(bad));
  }
}

TEST_CASE("a type version other than 1 travels after the type; 1 is the member's absence",
          "[event_line]") {
  auto e = sample("{}");
  CHECK(line_of(e).find("type_version") == std::string::npos);
  e.type_version = 2;
  CHECK(line_of(e).find("\"type\":\"order.paid\",\"type_version\":2,\"id\":") != std::string::npos);
  CHECK(round_trip(e) == e);
  e.type_version = max_type_version;
  CHECK(round_trip(e) == e);
  CHECK(annal::cli::pretty_event(e).find("\"type_version\": 65535") != std::string::npos);
}

TEST_CASE("tags travel after the metadata, absent when none, and come back as they were",
          "[event_line][dcb]") {
  auto e = sample("{}");
  CHECK(line_of(e).find("tags") == std::string::npos);
  e.tags = {"course:c1", "student:\"s1\"", "\xc3\xa9t\xc3\xa9"};
  CHECK(line_of(e).find(R"("metadata":{},"tags":["course:c1","student:\"s1\"",)") !=
        std::string::npos);
  CHECK(round_trip(e) == e);
  CHECK(annal::cli::pretty_event(e).find("\"tags\": [") != std::string::npos);
  auto line = line_of(sample("{}"));
  auto with = [&](std::string tags) {
    std::string changed = line;
    changed.insert(changed.find(",\"payload\""), ",\"tags\":" + tags);
    return changed;
  };
  CHECK(annal::cli::parse_event_line(with("[]")).tags.empty());
  CHECK(annal::cli::parse_event_line(with(R"(["b","a"])")).tags ==
        std::vector<std::string>{"a", "b"});
  CHECK_THROWS_WITH(annal::cli::parse_event_line(with("\"a\"")),
                    Catch::Contains("\"tags\" must be an array of strings"));
  CHECK_THROWS_WITH(annal::cli::parse_event_line(with("[1]")),
                    Catch::Contains("\"tags\" must be an array of strings"));
}
