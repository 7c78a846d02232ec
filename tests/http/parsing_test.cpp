// The HTTP library's pure parts: routes, listen addresses, log escaping.
#include <annal_http/access_log.hpp>
#include <annal_http/listen_address.hpp>
#include <annal_http/router.hpp>
#include <catch2/catch.hpp>
#include <stdexcept>

using namespace annal::http;

namespace {

handler named(std::string name) {
  return [name](const request&) { return make_response(200, name, "text/plain"); };
}

std::string run(const route_match& m) {
  request r;
  return (*m.target)(r).body;
}

}  // namespace

TEST_CASE("routes match by method and path, with decoded parameters", "[http]") {
  router routes;
  routes.add("GET", "/orders/{id}", named("get order"));
  routes.add("POST", "/orders/{id}/items", named("add item"));
  routes.add("DELETE", "/orders/{id}/items/{sku}", named("remove item"));
  routes.add("GET", "/", named("root"));

  auto m = routes.match("GET", "/orders/a%2Fb%20c");
  REQUIRE(m.result == route_match::outcome::found);
  CHECK(run(m) == "get order");
  CHECK(m.params == std::vector<std::pair<std::string, std::string>>{{"id", "a/b c"}});

  m = routes.match("DELETE", "/orders/7/items/mug-1");
  REQUIRE(m.result == route_match::outcome::found);
  CHECK(m.params.size() == 2);
  CHECK(m.params[1] == std::pair<std::string, std::string>{"sku", "mug-1"});
  CHECK(run(routes.match("GET", "/")) == "root");

  CHECK(routes.match("GET", "/orders").result == route_match::outcome::no_route);
  CHECK(routes.match("GET", "/orders/").result == route_match::outcome::no_route);
  CHECK(routes.match("GET", "/orders/1/items/x/y").result == route_match::outcome::no_route);
  auto wrong = routes.match("PUT", "/orders/1/items");
  CHECK(wrong.result == route_match::outcome::method_not_allowed);
  CHECK(wrong.allowed == "POST");
  CHECK(routes.match("GET", "/orders/%zz").result == route_match::outcome::bad_path);
  CHECK(routes.match("GET", "/orders/%4").result == route_match::outcome::bad_path);
}

TEST_CASE("malformed route patterns are refused when added", "[http]") {
  router routes;
  CHECK_THROWS_AS(routes.add("GET", "orders", named("x")), std::invalid_argument);
  CHECK_THROWS_AS(routes.add("", "/orders", named("x")), std::invalid_argument);
  CHECK_THROWS_AS(routes.add("GET", "/orders//x", named("x")), std::invalid_argument);
  CHECK_THROWS_AS(routes.add("GET", "/orders/{}", named("x")), std::invalid_argument);
  CHECK_THROWS_AS(routes.add("GET", "/orders/{id", named("x")), std::invalid_argument);
  CHECK_THROWS_AS(routes.add("GET", "/a/{id}/b/{id}", named("x")), std::invalid_argument);
}

TEST_CASE("listen addresses are parsed strictly, IPv6 in brackets", "[http]") {
  auto v4 = parse_listen_address("127.0.0.1:8080");
  CHECK(v4.host == "127.0.0.1");
  CHECK(v4.port == 8080);
  auto v6 = parse_listen_address("[::1]:9000");
  CHECK(v6.host == "::1");
  CHECK(v6.port == 9000);
  CHECK(v6.to_string() == "[::1]:9000");
  CHECK(parse_listen_address("localhost:0").port == 0);
  CHECK(parse_listen_address("0.0.0.0:65535").port == 65535);

  auto refused = [](const char* text, const char* says) {
    INFO(text);
    try {
      parse_listen_address(text);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      std::string message = e.what();
      INFO(message);
      CHECK(message.find(says) != std::string::npos);
      CHECK(message.find("expected HOST:PORT") != std::string::npos);
    }
  };
  refused("127.0.0.1:8080junk", "not a number");
  refused("127.0.0.1:", "port is missing");
  refused("127.0.0.1", "port is missing");
  refused("127.0.0.1:65536", "above 65535");
  refused("127.0.0.1:-1", "not a number");
  refused("127.0.0.1: 80", "not a number");
  refused("::1:8080", "in brackets");
  refused("[::1]8080", "must follow");
  refused("[::1:8080", "not closed");
  refused("[127.0.0.1]:80", "not an IPv6 address");
  refused("300.0.0.1:80", "neither an IPv4");
  refused("127.1:80", "neither an IPv4");
  refused("bad_host:80", "neither an IPv4");
  refused(":8080", "host is missing");
}

TEST_CASE("log fields escape control bytes, non-ASCII bytes, quotes and backslashes", "[http]") {
  CHECK(escape_for_log("/orders/abc") == "/orders/abc");
  CHECK(escape_for_log("a\nb\rc\x1b[31md\x7f\xc3\xa9") == "a\\x0ab\\x0dc\\x1b[31md\\x7f\\xc3\\xa9");
  CHECK(escape_for_log("say \"hi\" \\o/") == "say \\\"hi\\\" \\\\o/");

  access_log_entry entry;
  entry.remote = "127.0.0.1:5000";
  entry.method = "GET";
  entry.target = "/x\n127.0.0.1:1 \"GET /forged\" 200 0 0.0ms";
  entry.status = 404;
  entry.body_bytes = 12;
  entry.duration = std::chrono::microseconds(1500);
  std::string line = format_access_log_line(entry);
  CHECK(line ==
        "127.0.0.1:5000 \"GET /x\\x0a127.0.0.1:1 \\\"GET /forged\\\" 200 0 0.0ms\" 404 12 1.5ms");
  CHECK(line.find('\n') == std::string::npos);
}
