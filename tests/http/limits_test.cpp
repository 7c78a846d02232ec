// The server's limits against hostile or broken clients: sizes, deadlines, connection counts.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "support/raw_http.hpp"
#include "test_server.hpp"

using namespace annal::http;
using namespace annal::http::test;
using annal::test::raw_connection;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_CASE("a body announced above the limit is refused with 413 before any of it is sent",
          "[http][limits]") {
  server_options options;
  options.max_body_bytes = 1024;
  test_server server(options);

  raw_connection client(server.port());
  // Only the header: the server must answer without waiting for the 50 MB it announces.
  REQUIRE(client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 52428800\r\n\r\n"));
  auto reply = client.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 413);
  CHECK(reply->header("Connection") == "close");
  CHECK(client.wait_closed(seconds(10)));
  // The access log names the refused request.
  CHECK(eventually([&] {
    auto lines = server.access_lines();
    return !lines.empty() && lines[0].find("\"POST /echo\" 413") != std::string::npos;
  }));

  // The same with Expect: 100-continue: no "100 Continue", the 413 comes first.
  raw_connection expecting(server.port());
  REQUIRE(expecting.send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2048\r\n\r\n"));
  reply = expecting.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 413);

  // A chunked body is cut off where it passes the limit.
  raw_connection chunked(server.port());
  std::string chunk(1000, 'x');
  REQUIRE(
      chunked.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "3e8\r\n" +
                   chunk + "\r\n3e8\r\n" + chunk + "\r\n"));
  reply = chunked.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 413);

  // Within the limit, a body is read and handled, also with Expect and chunked.
  raw_connection fine(server.port());
  REQUIRE(fine.send(request_text("POST", "/echo", std::string(1024, 'y'))));
  reply = fine.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->body == std::string(1024, 'y'));
  REQUIRE(
      fine.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                "Content-Length: 5\r\n\r\n"));
  reply = fine.read_reply();  // before the body is sent
  REQUIRE(reply);
  CHECK(reply->status == 100);
  REQUIRE(fine.send("hello"));
  reply = fine.read_reply();
  REQUIRE(reply);
  CHECK(reply->body == "hello");
  REQUIRE(
      fine.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  reply = fine.read_reply();
  REQUIRE(reply);
  CHECK(reply->body == "abcde");
}

TEST_CASE("a header above the limit is refused with 431 and the connection closed",
          "[http][limits]") {
  server_options options;
  options.max_header_bytes = 2048;
  test_server server(options);
  raw_connection client(server.port());
  REQUIRE(client.send("GET /health HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(4096, 'a') +
                      "\r\n\r\n"));
  auto reply = client.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 431);
  CHECK(client.wait_closed(seconds(10)));

  raw_connection fine(server.port());
  REQUIRE(
      fine.send(request_text("GET", "/health", "", "X-Small: " + std::string(1000, 'a') + "\r\n")));
  reply = fine.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 200);
}

TEST_CASE("a header sent a byte at a time is cut off by the header deadline", "[http][limits]") {
  server_options options;
  options.header_timeout = milliseconds(300);
  test_server server(options);
  raw_connection client(server.port());
  REQUIRE(client.send("GET /health HTTP/1.1\r\nHost: t\r\nX-Slow: "));
  // Keep sending one byte at a time: each byte is progress, but the deadline is for the whole
  // header.
  std::optional<annal::test::raw_reply> reply;
  auto give_up = std::chrono::steady_clock::now() + seconds(10);
  while (!reply && std::chrono::steady_clock::now() < give_up) {
    if (!client.send("x")) break;
    reply = client.read_reply(milliseconds(50));
  }
  REQUIRE(reply);
  CHECK(reply->status == 408);
  CHECK(client.wait_closed(seconds(10)));
}

TEST_CASE("a body that stops arriving is cut off by the body deadline", "[http][limits]") {
  server_options options;
  options.body_timeout = milliseconds(300);
  test_server server(options);
  raw_connection client(server.port());
  REQUIRE(client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n0123456789"));
  auto reply = client.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 408);
  CHECK(client.wait_closed(seconds(10)));
}

TEST_CASE("idle connections are closed after the idle timeout, before and between requests",
          "[http][limits]") {
  server_options options;
  // Long enough that the kept connection's request, sent right after connecting, always beats it.
  options.idle_timeout = seconds(1);
  test_server server(options);
  raw_connection silent(server.port());
  CHECK(silent.wait_closed(seconds(10)));

  raw_connection kept(server.port());
  REQUIRE(kept.send(request_text("GET", "/health")));
  auto reply = kept.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->header("Connection") != "close");
  CHECK(kept.wait_closed(seconds(10)));
  CHECK(server.wait_connections(0));
}

TEST_CASE("a connection over max_connections is answered 503 and closed; a freed slot serves",
          "[http][limits]") {
  server_options options;
  options.max_connections = 3;
  options.idle_timeout = seconds(60);
  test_server server(options);
  std::vector<raw_connection> held;
  for (int i = 0; i < 3; ++i) held.emplace_back(server.port());
  REQUIRE(server.wait_connections(3));

  raw_connection over(server.port());
  auto reply = over.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 503);
  CHECK(reply->body.find("too many open connections") != std::string::npos);
  CHECK(over.wait_closed(seconds(10)));

  // The held connections are still served.
  REQUIRE(held[0].send(request_text("GET", "/health")));
  reply = held[0].read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 200);

  held.pop_back();
  REQUIRE(server.wait_connections(2));
  raw_connection next(server.port());
  REQUIRE(next.send(request_text("GET", "/health")));
  reply = next.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 200);
}

TEST_CASE("bodies beyond the buffered-body budget are refused with 503 before being read",
          "[http][limits]") {
  server_options options;
  options.max_body_bytes = 1000;
  options.max_buffered_body_bytes = 2000;
  test_server server(options);
  // Two bodies in flight fill the budget. Their "100 Continue" says the server has taken them
  // on (and reserved their size).
  raw_connection first(server.port());
  raw_connection second(server.port());
  std::string head = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n";
  for (auto* c : {&first, &second}) {
    REQUIRE(c->send(head + "Expect: 100-continue\r\n\r\nabc"));
    auto interim = c->read_reply();
    REQUIRE(interim);
    REQUIRE(interim->status == 100);
  }

  // A third is refused at once, before its body is sent.
  raw_connection third(server.port());
  REQUIRE(third.send(head + "\r\n"));
  auto refused = third.read_reply();
  REQUIRE(refused);
  CHECK(refused->status == 503);
  CHECK(refused->body.find("too many request bodies") != std::string::npos);

  REQUIRE(first.send(std::string(997, 'z')));
  auto reply = first.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 200);
  raw_connection fourth(server.port());
  REQUIRE(fourth.send(head + "\r\n" + std::string(1000, 'q')));
  reply = fourth.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->body == std::string(1000, 'q'));
}
