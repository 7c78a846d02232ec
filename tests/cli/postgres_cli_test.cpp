// The annal tool with a PostgreSQL store: migrate in and out, resume after kills, verify, info.
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <random>
#include <thread>

#include "annal/open_store.hpp"
#include "annal/verify.hpp"
#include "core/store_uri.hpp"
#include "postgres/connection.hpp"
#include "process.hpp"
#include "support/store_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace annal;
using annal::test::run_tool;
using annal::test::temp_dir;
using annal::test::tool_process;

namespace {

event_data json_event(std::string type, std::string payload) {
  event_data e;
  e.type = std::move(type);
  e.payload = std::move(payload);
  return e;
}

// Every kind of event PostgreSQL holds (JSON kept byte for byte, binary, empty, metadata), then
// `bulk` small events in batches of ten over 50 streams.
void fill(const std::string& uri, int bulk) {
  auto store = open_store(uri);
  auto placed = json_event("order.placed", R"({"customer":"ada","lines":[1,2,3]})");
  placed.metadata.correlation_id = "req-1";
  placed.metadata.properties = {{"user", "ada"}, {"tenant", "t\xc3\xa9st"}};
  std::vector<event_data> first{placed, json_event("order.paid", "{\n  \"cents\": 2500\n}"),
                                json_event("order.noted", R"({"b":1,"a":2,"a":3})")};
  store->append("order-1", expected_version::no_stream(), first);
  event_data binary;
  binary.type = "blob.stored";
  binary.encoding = payload_encoding::binary;
  binary.payload = std::string("\0\x01\xff\xfe\n", 5);
  event_data empty = binary;
  empty.id = uuid::v7();
  empty.payload.clear();
  store->append("order-2", expected_version::no_stream(), std::vector<event_data>{binary, empty});
  for (int i = 0; i < bulk / 10; ++i) {
    std::vector<event_data> batch;
    for (int k = 0; k < 10; ++k) {
      batch.push_back(json_event("bulk", "{\"i\":" + std::to_string(i * 10 + k) + "}"));
    }
    store->append("bulk-" + std::to_string(i % 50), expected_version::any(), batch);
  }
  store->close();
}

std::string export_of(const std::string& uri) {
  auto r = run_tool({"export", uri});
  REQUIRE(r.exit_code == 0);
  return r.out;
}

// A PostgreSQL store URI in a schema of its own, dropped when the test ends.
struct postgres_target {
  temp_dir dir;
  std::string uri = test::backend_uri(dir);
  ~postgres_target() { test::drop_postgres_schema(uri); }
};

}  // namespace

TEST_CASE("migrate SQLite -> PostgreSQL -> segment keeps every byte; verify is clean",
          "[cli][postgres]") {
  temp_dir dir;
  std::string source = "sqlite:" + dir.file("source.db");
  fill(source, 2000);
  postgres_target middle;
  std::string back = "segment:" + dir.file("back");
  auto there = run_tool({"migrate", source, middle.uri});
  REQUIRE(there.exit_code == 0);
  CHECK(there.out == "migrated 2005 events (0 already present); head position 2005\n");
  REQUIRE(run_tool({"migrate", middle.uri, back}).exit_code == 0);
  std::string expected = export_of(source);
  CHECK(export_of(middle.uri) == expected);
  CHECK(export_of(back) == expected);
  auto v = run_tool({"verify", middle.uri});
  CHECK(v.exit_code == 0);
  CHECK(v.out.rfind("ok: postgres", 0) == 0);
  auto info = run_tool({"info", middle.uri});
  CHECK(info.out.find("backend         postgres\n") != std::string::npos);
  CHECK(run_tool({"migrate", source, middle.uri}).out ==
        "migrated 0 events (1 already present); head position 2005\n");
}

TEST_CASE("a migrate into PostgreSQL killed at random moments resumes to an identical store",
          "[cli][postgres]") {
  temp_dir dir;
  std::string source = "sqlite:" + dir.file("source.db");
  fill(source, 20000);
  postgres_target target;
  const std::string killed_session = "annal-killed-migrate";
  std::mt19937 random(std::random_device{}());
  for (int attempt = 0; attempt < 4; ++attempt) {
    tool_process p({"migrate", source, test::with_session_name(target.uri, killed_session)},
                   dir.file("out"), dir.file("err"));
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 400));
    p.signal(SIGKILL);
    p.wait();
    // A batch whose COMMIT left before the kill may still land; resume once it has.
    test::wait_for_sessions_to_end(target.uri, killed_session);
  }
  REQUIRE(run_tool({"migrate", source, target.uri}).exit_code == 0);
  CHECK(export_of(target.uri) == export_of(source));
  CHECK(verify_store(target.uri).ok());
}

TEST_CASE(
    "a stream id PostgreSQL cannot hold stops a migrate in one line, keeping what came "
    "before",
    "[cli][postgres]") {
  temp_dir dir;
  std::string source = "sqlite:" + dir.file("source.db");
  fill(source, 10);
  {
    auto store = open_store(source);
    store->append("not-utf8-\xff", expected_version::any(), json_event("odd", "1"));
  }
  postgres_target target;
  auto r = run_tool({"migrate", source, target.uri});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("UTF8") != std::string::npos);
  CHECK(open_store(target.uri)->head_position() == 15);
}

TEST_CASE("verify finds a PostgreSQL store edited behind annal's back", "[cli][postgres]") {
  postgres_target target;
  fill(target.uri, 100);
  auto parsed = detail::parse_store_uri(target.uri, {});
  pg::connection c(parsed.path);
  std::string events = pg::quote_identifier(parsed.options.postgres_schema) + ".events";
  c.exec("ALTER TABLE " + events + " DISABLE TRIGGER events_append_only; UPDATE " + events +
         " SET stream_version = 7 WHERE position = 2; ALTER TABLE " + events +
         " ENABLE TRIGGER events_append_only");
  auto v = run_tool({"verify", target.uri});
  CHECK(v.exit_code == 1);
  CHECK(v.out.find("stream version 7 follows version 1") != std::string::npos);
}
