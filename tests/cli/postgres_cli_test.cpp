// The annal tool with a PostgreSQL store: migrate in and out, resume after kills, verify, info.
#include <catch2/catch.hpp>
#include <csignal>
#include <random>

#include "annal/open_store.hpp"
#include "annal/verify.hpp"
#include "cli_fixture.hpp"
#include "core/store_uri.hpp"
#include "postgres/connection.hpp"
#include "support/store_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace annal;
using annal::test::export_of;
using annal::test::json_event;
using annal::test::run_tool;
using annal::test::temp_dir;
using annal::test::tool_process;

namespace {

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
  test::append_binary_events(*store);
  test::append_bulk(*store, bulk, "bulk", "bulk");
  store->close();
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
  std::string expected = export_of(source).out;
  CHECK(export_of(middle.uri).out == expected);
  CHECK(export_of(back).out == expected);
  auto v = run_tool({"verify", middle.uri});
  CHECK(v.exit_code == 0);
  CHECK(v.out.rfind("ok: postgres", 0) == 0);
  auto info = run_tool({"info", middle.uri});
  CHECK(info.out.find("backend         postgres\n") != std::string::npos);
  CHECK(run_tool({"migrate", source, middle.uri}).out ==
        "migrated 0 events (1 already present); head position 2005\n");
}

TEST_CASE("a migrate into PostgreSQL killed between two batches resumes to an identical store",
          "[cli][postgres]") {
  temp_dir dir;
  std::string source = "sqlite:" + dir.file("source.db");
  fill(source, 5000);  // about 500 batches of ten events
  postgres_target target;
  const std::string killed_session = "annal-killed-migrate";
  std::mt19937 random(std::random_device{}());
  for (int attempt = 0; attempt < 4; ++attempt) {
    // The tool stops itself after its Nth stored batch: 4 x 100 batches cannot reach the end.
    std::uint64_t batches = 1 + random() % 100;
    INFO("attempt " << attempt << ", killed after batch " << batches);
    tool_process p({"migrate", source, test::with_session_name(target.uri, killed_session)},
                   dir.file("out"), dir.file("err"),
                   {"ANNAL_TEST_STOP_AFTER_BATCHES=" + std::to_string(batches)});
    REQUIRE(p.wait_until_stopped());
    p.signal(SIGKILL);
    CHECK(p.wait() == 128 + SIGKILL);
    test::wait_for_sessions_to_end(target.uri, killed_session);
  }
  auto finished = run_tool({"migrate", source, target.uri});
  REQUIRE(finished.exit_code == 0);
  CHECK(finished.out.find(" events (1 already present); head position 5005\n") !=
        std::string::npos);
  CHECK(export_of(target.uri).out == export_of(source).out);
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

TEST_CASE("verify --chain finds a payload changed behind annal's back and names its batch",
          "[cli][postgres][chain]") {
  postgres_target target;
  fill(target.uri, 100);
  auto clean = run_tool({"verify", target.uri, "--chain"});
  CHECK(clean.exit_code == 0);
  CHECK(clean.out.rfind("ok: the chain holds over ", 0) == 0);
  auto parsed = detail::parse_store_uri(target.uri, {});
  pg::connection c(parsed.path);
  std::string schema = pg::quote_identifier(parsed.options.postgres_schema);
  std::string events = schema + ".events";
  c.exec("ALTER TABLE " + events + " DISABLE TRIGGER events_append_only; UPDATE " + events +
         " SET payload = '{\"i\":-1}' WHERE position = 50; ALTER TABLE " + events +
         " ENABLE TRIGGER events_append_only");
  auto v = run_tool({"verify", target.uri, "--chain"});
  CHECK(v.exit_code == 1);
  CHECK(v.out.find(schema + ".batch_links positions ") == 0);
  CHECK(v.out.find("an event, its metadata or the link was changed") != std::string::npos);
  // The batch named holds position 50.
  auto first = std::stoull(v.out.substr(v.out.find("positions ") + 10));
  auto last = std::stoull(v.out.substr(v.out.find(" to ") + 4));
  CHECK(first <= 50);
  CHECK(last >= 50);
}

TEST_CASE("the password of a PostgreSQL URI is printed by no command, also on success",
          "[cli][postgres][password]") {
  const std::string password = "s3cret-Pw";
  temp_dir dir;
  std::string local = "sqlite:" + dir.file("local.db");
  fill(local, 100);
  postgres_target target;
  // The test server trusts its user, so the URI connects with any password.
  std::string uri = target.uri;
  uri.insert(uri.find('@'), ":" + password);
  std::string other = "sqlite:" + dir.file("other.db");
  fill(other, 10);
  std::string exported = dir.file("all.jsonl");
  REQUIRE(run_tool({"export", local}, "/dev/null", exported).exit_code == 0);
  std::vector<std::pair<std::vector<std::string>, int>> runs{
      {{"migrate", local, uri}, 0},
      {{"info", uri}, 0},
      {{"streams", uri, "--limit", "2"}, 0},
      {{"read", uri, "--all", "--limit", "2", "--format", "table"}, 0},
      {{"export", uri}, 0},
      {{"verify", uri}, 0},
      {{"migrate", uri, "sqlite:" + dir.file("back.db")}, 0},
      {{"migrate", other, uri}, 1},  // not a copy of it
      {{"verify", local, uri}, 2},   // an extra argument, echoed
  };
  for (const auto& [args, code] : runs) {
    std::string line;
    for (const auto& a : args) line += a + " ";
    INFO(line);
    auto r = run_tool(args);
    INFO(r.err);
    CHECK(r.exit_code == code);
    CHECK(r.out.find(password) == std::string::npos);
    CHECK(r.err.find(password) == std::string::npos);
  }
  auto imported = run_tool({"import", uri}, exported);
  CHECK(imported.exit_code == 0);
  CHECK(imported.out.find(password) == std::string::npos);
}
