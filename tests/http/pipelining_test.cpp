// Pipelined requests, the server's own error replies, the access log and the graceful stop.
#include <catch2/catch.hpp>
#include <string>
#include <system_error>
#include <vector>

#include "support/raw_http.hpp"
#include "test_server.hpp"

using namespace annal::http;
using namespace annal::http::test;
using annal::test::raw_connection;
using std::chrono::seconds;

TEST_CASE("pipelined GETs and POSTs on one connection are all answered, in order",
          "[http][pipelining]") {
  test_server server;
  raw_connection client(server.port());
  std::string batch = request_text("GET", "/echo/one") + request_text("POST", "/count", "a") +
                      request_text("GET", "/echo/two?x=1") + request_text("POST", "/count", "b") +
                      request_text("POST", "/count", "c") + request_text("GET", "/echo/three") +
                      request_text("POST", "/count", "d") + request_text("POST", "/count", "e");
  REQUIRE(client.send(batch));  // one write: the requests arrive together
  std::vector<std::string> bodies;
  for (int i = 0; i < 8; ++i) {
    auto reply = client.read_reply();
    REQUIRE(reply);
    CHECK(reply->status == 200);
    bodies.push_back(reply->body);
  }
  CHECK(bodies == std::vector<std::string>{"one", "1 a", "two?x=1", "2 b", "3 c", "three", "4 d",
                                           "5 e"});

  // A slow first request holds back the replies that follow it, never reorders them; the last
  // one asks to close.
  raw_connection second(server.port());
  REQUIRE(second.send(request_text("GET", "/block") + request_text("GET", "/echo/after") +
                      request_text("GET", "/echo/last", "", "Connection: close\r\n")));
  REQUIRE(server.wait_blocked(1));
  server.release();
  std::vector<std::string> ordered;
  for (int i = 0; i < 3; ++i) {
    auto reply = second.read_reply();
    REQUIRE(reply);
    ordered.push_back(reply->body);
  }
  CHECK(ordered == std::vector<std::string>{"released", "after", "last"});
  CHECK(second.wait_closed(seconds(10)));
}

TEST_CASE("unknown routes, wrong methods, bad targets and failing handlers get error replies",
          "[http]") {
  test_server server;
  raw_connection client(server.port());
  auto ask = [&](const std::string& text) {
    REQUIRE(client.send(text));
    auto reply = client.read_reply();
    REQUIRE(reply);
    return *reply;
  };
  CHECK(ask(request_text("GET", "/nowhere")).status == 404);
  auto wrong = ask(request_text("DELETE", "/health"));
  CHECK(wrong.status == 405);
  CHECK(wrong.header("Allow") == "GET");
  CHECK(ask(request_text("GET", "/echo/%zz")).status == 400);
  CHECK(ask(request_text("GET", "/echo/x?a=%")).status == 400);
  auto failed = ask(request_text("GET", "/throw"));
  CHECK(failed.status == 500);
  CHECK(failed.body.find("secret") == std::string::npos);
  auto errors = server.error_lines();
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("GET /throw failed: secret detail") != std::string::npos);
  // Each of these left the connection usable.
  CHECK(ask(request_text("GET", "/health")).body == "ok");

  raw_connection garbage(server.port());
  REQUIRE(garbage.send("NOT HTTP AT ALL\r\n\r\n"));
  auto reply = garbage.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 400);
  CHECK(garbage.wait_closed(seconds(10)));
}

TEST_CASE("access-log lines escape what the client sent", "[http]") {
  test_server server;
  raw_connection client(server.port());
  REQUIRE(client.send(request_text("GET", "/echo/%0aforged%1b%5b31m")));
  auto reply = client.read_reply();
  REQUIRE(reply);
  CHECK(reply->body == "\nforged\x1b[31m");  // the handler sees the decoded path
  // A raw C1 control byte (CSI on some terminals) in the target, as sent.
  REQUIRE(client.send("GET /echo/\x9b" "31mraw HTTP/1.1\r\nHost: t\r\n\r\n"));
  reply = client.read_reply();
  REQUIRE(reply);
  REQUIRE(eventually([&] { return server.access_lines().size() == 2; }));
  for (const auto& line : server.access_lines()) {
    INFO(line);
    for (char c : line) CHECK((c >= 0x20 && c < 0x7f));
  }
  CHECK(server.access_lines()[0].find("\"GET /echo/%0aforged%1b%5b31m\" 200") != std::string::npos);
}

TEST_CASE("a graceful stop closes idle connections, finishes requests in progress, then returns",
          "[http][stop]") {
  server_options options;
  options.idle_timeout = seconds(60);
  options.header_timeout = seconds(60);
  auto server = std::make_unique<test_server>(options);
  int port = server->port();
  raw_connection busy(port);
  raw_connection idle(port);
  raw_connection half(port);
  REQUIRE(busy.send(request_text("GET", "/block")));
  REQUIRE(half.send("GET /health HTTP/1.1\r\nHo"));
  REQUIRE(server->wait_blocked(1));
  REQUIRE(server->wait_connections(3));

  server->get().stop();
  CHECK(idle.wait_closed(seconds(10)));
  CHECK(half.wait_closed(seconds(10)));
  // No new connections: the listening socket is closed before the idle connections.
  CHECK_THROWS_AS(raw_connection(port), std::system_error);
  CHECK_FALSE(busy.closed_by_peer());

  server->release();
  auto reply = busy.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->body == "released");
  CHECK(reply->header("Connection") == "close");
  CHECK(busy.wait_closed(seconds(10)));
  CHECK(server->stop_and_wait());
}

TEST_CASE("a stop before run() makes run() return at once", "[http][stop]") {
  router routes;
  server_options options;
  options.address = {"127.0.0.1", 0};
  server s(options, routes);
  CHECK(s.port() > 0);
  s.stop();
  s.run();
  s.stop();
}

TEST_CASE("binding an address in use throws listen_error; IPv6 addresses bind",
          "[http]") {
  test_server first;
  server_options options;
  options.address = {"127.0.0.1", static_cast<std::uint16_t>(first.port())};
  CHECK_THROWS_AS(server(options, router{}), listen_error);
  options.address = {"::1", 0};
  server v6(options, router{});
  CHECK(v6.port() > 0);
}
