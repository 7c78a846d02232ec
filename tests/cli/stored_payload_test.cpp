// Readers of the annal tool on stored data no annal store accepts any more: a JSON payload
// nested 100,000 deep, written into a SQLite store with raw SQL as another tool or an older
// annal could have. Every reader prints it without unbounded recursion.
#include <catch2/catch.hpp>
#include <csignal>

#include "annal/open_store.hpp"
#include "cli_fixture.hpp"
#include "support/raw_sqlite.hpp"

using namespace annal;
using namespace annal::test;

namespace {

const std::string deep_payload = std::string(100000, '[') + std::string(100000, ']');

// A SQLite store of 16 events whose event at position 7 has the payload `payload`.
std::string store_with_stored_payload(const temp_dir& dir, const std::string& payload) {
  std::string path = dir.file("deep.db");
  std::string uri = "sqlite:" + path;
  fill(uri, 0);
  auto store = open_store(uri);
  store->append("deep", expected_version::no_stream(), json_event("deep.event", "0"));
  for (int i = 0; i < 9; ++i) {  // events after it, so readers must go on past it
    store->append("after", expected_version::any(), json_event("after.event", "{}"));
  }
  store->close();
  REQUIRE(raw_exec(path, "DROP TRIGGER events_are_append_only_update; UPDATE events SET payload = '" +
                             payload + "' WHERE position = 7") == 0);
  return uri;
}

}  // namespace

TEST_CASE("read, tail and export print a stored payload nested 100,000 deep", "[cli][deep]") {
  temp_dir dir;
  std::string uri = store_with_stored_payload(dir, deep_payload);

  auto json = run_tool({"read", uri, "--all", "--format", "json"});
  REQUIRE(json.exit_code == 0);
  CHECK(json.out.find("\n  \"payload\": " + deep_payload + "\n}\n") != std::string::npos);
  CHECK(json.out.find("\"position\": 16") != std::string::npos);

  auto jsonl = run_tool({"read", uri, "--stream", "deep", "--format", "jsonl"});
  REQUIRE(jsonl.exit_code == 0);
  CHECK(jsonl.out.find(",\"payload\":" + deep_payload + "}\n") != std::string::npos);

  auto table = run_tool({"read", uri, "--all", "--format", "table"});
  REQUIRE(table.exit_code == 0);
  CHECK(table.out.find("deep.event  ") != std::string::npos);
  CHECK(table.out.find(deep_payload + "\n") != std::string::npos);
  CHECK(line_count(table.out) == 17);

  auto exported = run_tool({"export", uri});
  REQUIRE(exported.exit_code == 0);
  CHECK(line_count(exported.out) == 16);
  CHECK(exported.out.find(",\"payload\":" + deep_payload + "}\n") != std::string::npos);

  for (const char* format : {"json", "jsonl", "table"}) {
    INFO(format);
    std::string out = dir.file(std::string("tail.") + format);
    tool_process tail({"tail", uri, "--from", "7", "--format", format}, out, dir.file("tail.err"));
    CHECK(wait_for_lines(out, 3) >= 3);
    tail.signal(SIGINT);
    CHECK(tail.wait() == 0);
    CHECK(read_file(out).find(deep_payload) != std::string::npos);
  }
}

TEST_CASE("a stored payload too deep to append stops import and migrate at its line",
          "[cli][deep]") {
  temp_dir dir;
  std::string uri = store_with_stored_payload(dir, deep_payload);
  std::string file = write_file(dir, "all.jsonl", export_of(uri).out);
  for (const std::string& backend : {std::string("sqlite"), std::string("segment")}) {
    INFO(backend);
    std::string copy = cli_store_uri(dir, "copy-" + backend, backend);
    check_one_line_error(run_tool({"import", copy}, file),
                         "line 7: invalid argument: member \"payload\" is JSON nested more than 256 "
                         "levels deep");
    CHECK(run_tool({"info", copy}).out.find("head position   6\n") != std::string::npos);
    std::string migrated = cli_store_uri(dir, "migrated-" + backend, backend);
    check_one_line_error(run_tool({"migrate", uri, migrated}),
                         "position 7: invalid argument: event 0 of the batch has a JSON payload "
                         "nested more than 256 levels deep");
    CHECK(run_tool({"info", migrated}).out.find("head position   6\n") != std::string::npos);
  }
}

TEST_CASE("verify reads a store holding a payload nested 100,000 deep", "[cli][deep]") {
  temp_dir dir;
  std::string uri = store_with_stored_payload(dir, deep_payload);
  auto r = run_tool({"verify", uri});
  CHECK((r.exit_code == 0 || r.exit_code == 1));
  CHECK(r.out.find("checked 16 events") != std::string::npos);
}
