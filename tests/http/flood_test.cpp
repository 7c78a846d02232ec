// Hundreds of idle, slow and oversized clients at once: the server still answers and its memory
// stays bounded.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/process.hpp"
#include "support/raw_http.hpp"
#include "test_server.hpp"

using namespace annal::http;
using namespace annal::http::test;
using annal::test::raw_connection;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

// The peak resident set of this process so far, in bytes (VmHWM).
std::uint64_t peak_rss() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

}  // namespace

// The idle and slow connections hold their slots for two minutes: a server that gave them its
// workers would answer nothing before then. The reply is awaited for 10 s, far below that and far
// above any scheduling delay of a loaded machine, so the test asserts no speed, only that held
// connections do not starve a new one.
TEST_CASE("with 500 idle and 16 slow-header connections open, a new request is answered",
          "[http][flood]") {
  REQUIRE(annal::test::raise_open_file_limit() >= 1200);
  server_options options;               // the default limits and worker count
  options.idle_timeout = seconds(120);  // so the idle connections really stay open meanwhile
  options.header_timeout = seconds(120);
  test_server server(options);

  std::vector<raw_connection> idle;
  for (int i = 0; i < 500; ++i) idle.emplace_back(server.port());
  annal::test::slow_header_clients slow(server.port(), 16, "/health");
  REQUIRE(server.wait_connections(516, seconds(30)));

  for (int round = 0; round < 3; ++round) {
    auto started = std::chrono::steady_clock::now();
    raw_connection client(server.port());
    REQUIRE(client.send(request_text("GET", "/health")));
    auto reply = client.read_reply(seconds(10));
    auto took =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started);
    INFO("round " << round << ": " << took.count() << " ms");
    REQUIRE(reply);
    CHECK(reply->status == 200);
  }
  // Nobody was dropped to make room.
  CHECK(server.get().open_connections() >= 516);
  std::size_t closed = slow.closed_by_peer();
  for (auto& c : idle) closed += c.closed_by_peer() ? 1 : 0;
  CHECK(closed == 0);
}

TEST_CASE("many parallel large bodies are refused or queued without the server's memory growing",
          "[http][flood]") {
  REQUIRE(annal::test::raise_open_file_limit() >= 400);
  // The server runs in a child process, so its peak resident set is its own.
  annal::test::process child([](annal::test::process& self) {
    server_options options;
    options.max_body_bytes = 1024 * 1024;
    options.max_buffered_body_bytes = 8 * 1024 * 1024;
    test_server server(options);
    std::uint64_t port = server.port();
    std::uint64_t before = peak_rss();
    self.send(&port, sizeof port);
    self.send(&before, sizeof before);
    self.wait_turn();  // the parent's clients are done
    std::uint64_t after = peak_rss();
    self.send(&after, sizeof after);
  });
  std::uint64_t port = 0;
  std::uint64_t before = 0;
  REQUIRE(child.receive(&port, sizeof port));
  REQUIRE(child.receive(&before, sizeof before));

  // 32 clients announce 50 MB each and send the body until a reply comes: each gets 413 (the
  // server reads none of the body, it only discards a little while closing).
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&] {
      raw_connection c(static_cast<int>(port));
      c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 52428800\r\n\r\n");
      std::string chunk(64 * 1024, 'x');
      std::optional<annal::test::raw_reply> reply;
      for (int sent = 0; sent < 800 && !reply; ++sent) {
        if (!c.send(chunk)) break;
        reply = c.read_reply(milliseconds(0));
      }
      if (!reply) reply = c.read_reply(seconds(10));
      if (reply && reply->status == 413) ++refused;
    });
  }
  for (auto& t : threads) t.join();
  threads.clear();
  CHECK(refused == 32);

  // 64 clients send bodies within the limit, 1 MiB each, all at once (with Expect:
  // 100-continue, as curl does for large bodies): the 8 MiB budget holds some back with 503
  // before their bodies are sent, the others are echoed.
  std::atomic<int> echoed{0};
  std::atomic<int> busy{0};
  for (int i = 0; i < 64; ++i) {
    threads.emplace_back([&] {
      raw_connection c(static_cast<int>(port));
      std::string body(1024 * 1024, 'b');
      c.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n");
      auto reply = c.read_reply(seconds(30));
      if (reply && reply->status == 100) {
        c.send(body);
        reply = c.read_reply(seconds(30));
      }
      if (reply && reply->status == 200 && reply->body == body) ++echoed;
      if (reply && reply->status == 503) ++busy;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(echoed + busy == 64);
  CHECK(echoed >= 8);

  child.hand_over();
  std::uint64_t after = 0;
  REQUIRE(child.receive(&after, sizeof after));
  CHECK(child.wait() == 0);
  // 32 x 50 MB refused and 64 MiB offered at once: the server's peak grew by far less than
  // either (it is bounded by the 8 MiB budget, each body echoed once, and small buffers).
  INFO("peak RSS before " << before / 1024 << " KiB, after " << after / 1024 << " KiB");
  CHECK(after - before < 48u * 1024 * 1024);
}
