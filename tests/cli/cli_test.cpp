// The annal tool, run as a real process against the backend under test (and the other one).
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "annal/open_store.hpp"
#include "annal/verify.hpp"
#include "process.hpp"
#include "support/raw_sqlite.hpp"
#include "support/store_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace annal;
using annal::test::backend_under_test;
using annal::test::read_file;
using annal::test::run_tool;
using annal::test::temp_dir;
using annal::test::tool_process;
using annal::test::tool_result;

namespace {

using namespace std::chrono_literals;

// A store URI of `backend` in `dir`; segment stores get small segments so copies cross rolls.
std::string store_uri(const temp_dir& dir, const std::string& name,
                      const std::string& backend = backend_under_test()) {
  return backend == "sqlite" ? "sqlite:" + dir.file(name + ".db")
                             : "segment:" + dir.file(name) + "?segment_size=65536";
}

std::string other_backend() { return backend_under_test() == "sqlite" ? "segment" : "sqlite"; }

event_data json_event(std::string type, std::string payload) {
  event_data e;
  e.type = std::move(type);
  e.payload = std::move(payload);
  return e;
}

// Every kind of event the export format has a rule for, then `bulk` small events in batches of
// ten over 50 streams.
void fill(const std::string& uri, int bulk = 2500) {
  auto store = open_store(uri);
  auto placed = json_event("order.placed", R"({"customer":"ada","lines":[1,2,3]})");
  placed.metadata.correlation_id = "req-1";
  placed.metadata.causation_id = "cmd-1";
  placed.metadata.properties = {{"user", "ada"}, {"tenant", "t\xc3\xa9st"}};
  std::vector<event_data> first{placed, json_event("order.item_added", R"({"sku":"b-42"})"),
                                json_event("order.paid", "{\n  \"cents\": 2500\n}")};
  store->append("order-1", expected_version::no_stream(), first);
  event_data binary;
  binary.type = "blob.stored";
  binary.encoding = payload_encoding::binary;
  binary.payload = std::string("\0\x01\xff\xfe\n", 5);
  event_data empty = binary;
  empty.id = uuid::v7();
  empty.payload.clear();
  store->append("order-2", expected_version::no_stream(), std::vector<event_data>{binary, empty});
  store->append("not-utf8-\xff", expected_version::any(), json_event("odd.type-\xfe", " 17"));
  for (int i = 0; i < bulk / 10; ++i) {
    std::vector<event_data> batch;
    for (int k = 0; k < 10; ++k) {
      batch.push_back(json_event(k % 3 == 0 ? "bulk.even" : "bulk.odd",
                                 "{\"i\":" + std::to_string(i * 10 + k) + "}"));
    }
    store->append("bulk-" + std::to_string(i % 50), expected_version::any(), batch);
  }
  store->close();
}

std::size_t line_count(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

std::string write_file(const temp_dir& dir, const std::string& name, const std::string& text) {
  std::string path = dir.file(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

tool_result export_of(const std::string& uri) {
  auto r = run_tool({"export", uri});
  REQUIRE(r.exit_code == 0);
  return r;
}

// The single error line a failing command prints.
void check_one_line_error(const tool_result& r, const std::string& text) {
  CHECK(r.exit_code == 1);
  CHECK(line_count(r.err) == 1);
  CHECK(r.err.rfind("annal: error: ", 0) == 0);
  CHECK(r.err.find(text) != std::string::npos);
}

}  // namespace

TEST_CASE("info reports the backend, format, head, counts, size and time span", "[cli]") {
  temp_dir dir;
  std::string uri = store_uri(dir, "s");
  fill(uri);
  auto r = run_tool({"info", uri});
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(r.out.find("backend         " + backend_under_test() + "\n") != std::string::npos);
  CHECK(r.out.find("head position   2506\n") != std::string::npos);
  CHECK(r.out.find("events          2506\n") != std::string::npos);
  CHECK(r.out.find("streams         53\n") != std::string::npos);
  CHECK(r.out.find("size on disk    ") != std::string::npos);
  // 2506 events take several 64 KiB segments.
  CHECK(r.out.find(backend_under_test() == "segment" ? "segments        2\n"
                                                     : "segments        -\n") != std::string::npos);
  CHECK(r.out.find("oldest event    20") != std::string::npos);
  CHECK(r.out.find("newest event    20") != std::string::npos);
  CHECK(line_count(r.out) == 9);
}

TEST_CASE("streams lists streams in id order with versions, by prefix and limit", "[cli]") {
  temp_dir dir;
  std::string uri = store_uri(dir, "s");
  fill(uri);
  auto all = run_tool({"streams", uri});
  REQUIRE(all.exit_code == 0);
  CHECK(line_count(all.out) == 53);
  CHECK(all.out.rfind("bulk-0\t50\nbulk-1\t50\nbulk-10\t50\n", 0) == 0);
  auto orders = run_tool({"streams", uri, "--prefix", "order-"});
  CHECK(orders.out == "order-1\t3\norder-2\t2\n");
  auto two = run_tool({"streams", uri, "--prefix", "bulk-", "--limit", "2"});
  CHECK(two.out == "bulk-0\t50\nbulk-1\t50\n");
}

TEST_CASE("read prints a stream or the log, filtered and limited, in three formats", "[cli]") {
  temp_dir dir;
  std::string uri = store_uri(dir, "s");
  fill(uri);
  std::string exported = export_of(uri).out;

  auto stream = run_tool({"read", uri, "--stream", "order-1"});
  REQUIRE(stream.exit_code == 0);
  CHECK(line_count(stream.out) == 3);  // jsonl when piped: the export's lines
  CHECK(exported.rfind(stream.out, 0) == 0);

  auto from = run_tool({"read", uri, "--stream", "bulk-7", "--from", "41", "--format", "jsonl"});
  CHECK(line_count(from.out) == 10);
  CHECK(from.out.find("\"version\":41,") != std::string::npos);

  auto all = run_tool({"read", uri, "--all", "--from", "2000", "--limit", "1200"});
  CHECK(line_count(all.out) == 507);
  CHECK(all.out.rfind("{\"position\":2000,", 0) == 0);

  auto typed = run_tool({"read", uri, "--all", "--type", "order.paid", "--type", "blob.stored"});
  CHECK(line_count(typed.out) == 3);

  auto limited = run_tool({"read", uri, "--all", "--type", "bulk.even", "--limit", "5"});
  CHECK(line_count(limited.out) == 5);

  auto table = run_tool({"read", uri, "--stream", "order-2", "--format", "table"});
  CHECK(table.out.rfind("  POSITION  STREAM", 0) == 0);
  CHECK(table.out.find("<5 bytes, binary>") != std::string::npos);
  CHECK(line_count(table.out) == 3);

  auto pretty = run_tool({"read", uri, "--stream", "order-1", "--limit", "1", "--format", "json"});
  CHECK(pretty.out.find("\n  \"payload\": {\n    \"customer\": \"ada\",") != std::string::npos);
  CHECK(pretty.out.find("\"correlation_id\": \"req-1\"") != std::string::npos);

  CHECK(run_tool({"read", uri, "--stream", "nobody"}).out.empty());
}

TEST_CASE("export, import and export again gives byte-identical output on either backend",
          "[cli]") {
  temp_dir dir;
  std::string source = store_uri(dir, "source");
  fill(source);
  auto first = export_of(source);
  CHECK(first.err.empty());  // no progress bar when standard error is not a terminal
  CHECK(line_count(first.out) == 2506);
  CHECK(first.out.find("\"payload\":{\"customer\":\"ada\",\"lines\":[1,2,3]}}\n") !=
        std::string::npos);
  CHECK(first.out.find("\"stream_base64\":") != std::string::npos);
  CHECK(first.out.find("\"type_base64\":") != std::string::npos);
  std::string file = write_file(dir, "export.jsonl", first.out);

  for (const std::string& backend : {backend_under_test(), other_backend()}) {
    INFO(backend);
    std::string copy = store_uri(dir, "copy-" + backend, backend);
    auto imported = run_tool({"import", copy}, file);
    REQUIRE(imported.exit_code == 0);
    CHECK(imported.out == "imported 2506 events (0 already present); head position 2506\n");
    CHECK(imported.err.empty());
    CHECK(export_of(copy).out == first.out);
    CHECK(verify_store(copy).ok());
  }

  auto tail = run_tool({"export", source, "--from", "2500"});
  CHECK(line_count(tail.out) == 7);
  CHECK(tail.out.rfind("{\"position\":2500,", 0) == 0);
}

TEST_CASE("import is idempotent and refuses different content at a stored position", "[cli]") {
  temp_dir dir;
  std::string source = store_uri(dir, "source");
  fill(source, 100);
  std::string text = export_of(source).out;
  std::string file = write_file(dir, "all.jsonl", text);
  std::string target = store_uri(dir, "target");

  // Half first, then everything: the first half is recognised and skipped.
  std::size_t cut = 0;
  for (int i = 0; i < 50; ++i) cut = text.find('\n', cut) + 1;
  std::string half = write_file(dir, "half.jsonl", text.substr(0, cut));
  CHECK(run_tool({"import", target}, half).exit_code == 0);
  auto again = run_tool({"import", target}, file);
  REQUIRE(again.exit_code == 0);
  CHECK(again.out == "imported 56 events (50 already present); head position 106\n");
  CHECK(run_tool({"import", target}, file).out ==
        "imported 0 events (106 already present); head position 106\n");
  // CRLF line ends and blank lines, as an editor on another system may leave them.
  std::string crlf;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = text.find('\n', at);
    crlf += text.substr(at, end - at) + "\r\n\r\n";
    at = end + 1;
  }
  CHECK(run_tool({"import", target}, write_file(dir, "crlf.jsonl", crlf)).out ==
        "imported 0 events (106 already present); head position 106\n");

  std::string changed = text;
  changed.replace(changed.find("\"customer\":\"ada\""), 16, "\"customer\":\"bob\"");
  auto conflict = run_tool({"import", target}, write_file(dir, "changed.jsonl", changed));
  check_one_line_error(conflict,
                       "the target already holds a different event at position 1 (another "
                       "payload)");
  CHECK(conflict.err.find("line 1: ") != std::string::npos);
  CHECK(export_of(target).out == text);
}

TEST_CASE("a malformed line fails the import with its line number; earlier lines are kept",
          "[cli]") {
  temp_dir dir;
  std::string source = store_uri(dir, "source");
  fill(source, 0);
  std::string text = export_of(source).out;
  std::string target = store_uri(dir, "target");
  struct bad_line {
    std::string line;
    std::string message;
  };
  std::vector<bad_line> cases{
      {"not json", "not a JSON object"},
      {R"({"position":7})", "exactly one of \"stream\" and \"stream_base64\" must be given"},
      {R"({"position":7,"stream":"s","version":1,"type":"t","id":"x","timestamp":"2026-01-01T00:00:00Z","encoding":"json","payload":{}})",
       "'x' is not a UUID"},
      {R"({"position":7,"stream":"s","version":1,"type":"t","id":"0193a1b2-0000-7000-8000-000000000009","timestamp":"2026-01-01T00:00:00Z","encoding":"json","payload":{},"extra":1})",
       "unknown member \"extra\""},
      {R"({"position":7,"stream":"s","version":1,"type":"t","id":"0193a1b2-0000-7000-8000-000000000009","timestamp":"2026-01-01T00:00:00Z","encoding":"binary","payload":{}})",
       "a binary payload must be given as \"payload_base64\""},
      {R"({"position":9,"stream":"s","version":1,"type":"t","id":"0193a1b2-0000-7000-8000-000000000009","timestamp":"2026-01-01T00:00:00Z","encoding":"json","payload":{}})",
       "position 9 does not follow position 6"},
  };
  for (const auto& c : cases) {
    INFO(c.line);
    auto r = run_tool({"import", target}, write_file(dir, "bad.jsonl", text + c.line + "\n"));
    check_one_line_error(r, "line 7: ");
    CHECK(r.err.find(c.message) != std::string::npos);
    CHECK(export_of(target).out == text);
  }
}

TEST_CASE("migrate to the other backend and back gives identical exports and clean stores",
          "[cli]") {
  temp_dir dir;
  std::string source = store_uri(dir, "source");
  fill(source);
  std::string middle = store_uri(dir, "middle", other_backend());
  std::string back = store_uri(dir, "back");
  auto there = run_tool({"migrate", source, middle});
  REQUIRE(there.exit_code == 0);
  CHECK(there.out == "migrated 2506 events (0 already present); head position 2506\n");
  REQUIRE(run_tool({"migrate", middle, back}).exit_code == 0);
  std::string expected = export_of(source).out;
  CHECK(export_of(middle).out == expected);
  CHECK(export_of(back).out == expected);
  for (const auto& uri : {middle, back}) {
    auto v = run_tool({"verify", uri});
    CHECK(v.exit_code == 0);
    CHECK(v.out.rfind("ok: ", 0) == 0);
  }
  // Nothing to do the second time.
  CHECK(run_tool({"migrate", source, middle}).out ==
        "migrated 0 events (1 already present); head position 2506\n");
}

TEST_CASE("a migrate killed at random moments resumes to an identical store", "[cli]") {
  temp_dir dir;
  std::string source = store_uri(dir, "source");
  fill(source, 20000);
  std::string target = store_uri(dir, "target", other_backend());
  std::mt19937 random(std::random_device{}());
  int interrupted = 0;
  for (int attempt = 0; attempt < 4; ++attempt) {
    tool_process p({"migrate", source, target}, dir.file("out"), dir.file("err"));
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 400));
    p.signal(SIGKILL);
    if (p.wait() == 128 + SIGKILL) ++interrupted;
  }
  auto finished = run_tool({"migrate", source, target});
  REQUIRE(finished.exit_code == 0);
  CHECK(export_of(target).out == export_of(source).out);
  CHECK(verify_store(target).ok());
  CHECK(interrupted > 0);
}

TEST_CASE("migrate refuses a target that is not a copy of the source", "[cli]") {
  temp_dir dir;
  std::string source = store_uri(dir, "source");
  fill(source, 10);
  std::string other = store_uri(dir, "other", other_backend());
  fill(other, 10);
  auto r = run_tool({"migrate", source, other});
  check_one_line_error(r, "different event at position 16");
  std::string bigger = store_uri(dir, "bigger");
  fill(bigger, 20);
  check_one_line_error(run_tool({"migrate", source, bigger}), "more than the source's 16");
}

TEST_CASE("verify exits with 0 on a clean store and 1 with the location of damage", "[cli]") {
  temp_dir dir;
  std::string uri = store_uri(dir, "s");
  fill(uri, 100);
  auto clean = run_tool({"verify", uri});
  CHECK(clean.exit_code == 0);
  CHECK(clean.out.rfind("ok: " + backend_under_test() +
                            " store, checked 106 events in 13 "
                            "streams",
                        0) == 0);
  std::string damaged_file;
  if (backend_under_test() == "segment") {
    damaged_file = dir.file("s") + "/00000000000000000001.seg";
    std::fstream f(damaged_file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(32 + 9 + 40);
    f.put('#');
  } else {
    damaged_file = dir.file("s.db");
    REQUIRE(test::raw_exec(damaged_file,
                           "DROP TRIGGER events_are_append_only_delete;"
                           "DELETE FROM events WHERE position = 50;") == 0);
  }
  auto damaged = run_tool({"verify", uri});
  CHECK(damaged.exit_code == 1);
  CHECK(damaged.out.rfind(damaged_file + (backend_under_test() == "segment"
                                              ? " offset 32 position 1: frame checksum mismatch"
                                              : " position 51 stream 'bulk-4': positions 50 to 50 "
                                                "are missing"),
                          0) == 0);
  CHECK(damaged.out.find(" found; checked ") != std::string::npos);
}

TEST_CASE("tail prints events from --from and new ones as they come, until SIGINT", "[cli]") {
  temp_dir dir;
  std::string uri = store_uri(dir, "s");
  fill(uri, 0);
  std::string out = dir.file("tail.out");
  auto wait_for_lines = [&](std::size_t n) {
    for (int i = 0; i < 200 && line_count(read_file(out)) < n; ++i) {
      std::this_thread::sleep_for(50ms);
    }
    return line_count(read_file(out));
  };
  tool_process tail({"tail", uri, "--from", "4", "--type", "blob.stored", "--type", "live.event"},
                    out, dir.file("tail.err"));
  CHECK(wait_for_lines(2) == 2);
  if (backend_under_test() == "sqlite") {
    // Another process may append to a SQLite store while tail reads it.
    auto store = open_store(uri);
    store->append("live", expected_version::any(), json_event("live.event", "{}"));
    store->append("live", expected_version::any(), json_event("ignored.event", "{}"));
    CHECK(wait_for_lines(3) == 3);
    CHECK(read_file(out).find("\"type\":\"live.event\"") != std::string::npos);
  }
  tail.signal(SIGINT);
  CHECK(tail.wait() == 0);
  CHECK(read_file(dir.file("tail.err")).empty());
}

TEST_CASE("bad arguments exit with 2, an error line and a usage line", "[cli]") {
  temp_dir dir;
  std::string uri = store_uri(dir, "s");
  fill(uri, 0);
  std::vector<std::vector<std::string>> bad{
      {},
      {"frobnicate"},
      {"info"},
      {"info", uri, "--bogus"},
      {"read", uri},
      {"read", uri, "--stream", "a", "--all"},
      {"read", uri, "--all", "--format", "xml"},
      {"read", uri, "--all", "--limit", "0"},
      {"streams", uri, "--limit", "many"},
      {"migrate", uri},
  };
  for (const auto& args : bad) {
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    INFO(joined);
    auto r = run_tool(args);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(line_count(r.err) == 2);
    CHECK(r.err.rfind("annal: error: ", 0) == 0);
    CHECK(r.err.find("\nUsage: annal") != std::string::npos);
  }
}

TEST_CASE("every command has --help with examples and the exit codes", "[cli]") {
  for (const char* command :
       {"info", "streams", "read", "tail", "export", "import", "migrate", "verify"}) {
    INFO(command);
    auto r = run_tool({command, "--help"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("Examples:\n  annal " + std::string(command)) != std::string::npos);
    CHECK(r.out.find("Exit codes: 0 ok, 1 problems found") != std::string::npos);
  }
  auto top = run_tool({"--help"});
  CHECK(top.exit_code == 0);
  CHECK(top.out.find("migrate") != std::string::npos);
}

TEST_CASE("a missing store is a one-line error and is not created", "[cli]") {
  temp_dir dir;
  std::string uri = store_uri(dir, "missing");
  for (const char* command : {"info", "streams", "export", "verify"}) {
    INFO(command);
    check_one_line_error(run_tool({command, uri}), "does not exist");
  }
  check_one_line_error(run_tool({"read", uri, "--all"}), "does not exist");
  check_one_line_error(run_tool({"migrate", uri, store_uri(dir, "target")}), "does not exist");
  CHECK_FALSE(std::filesystem::exists(dir.file("missing.db")));
  CHECK_FALSE(std::filesystem::exists(dir.file("missing")));
  CHECK_FALSE(std::filesystem::exists(dir.file("target.db")));
  check_one_line_error(run_tool({"info", "nothing:x"}), "unknown scheme");
}

TEST_CASE("progress is drawn when standard error is a terminal, and only then", "[cli]") {
  temp_dir dir;
  std::string source = store_uri(dir, "source");
  fill(source, 100);
  auto exported = test::run_tool_with_terminal({"export", source});
  REQUIRE(exported.exit_code == 0);
  CHECK(exported.err.find("export [##############################] 100%  106/106 events") !=
        std::string::npos);
  std::string file = write_file(dir, "all.jsonl", exported.out);
  auto imported = test::run_tool_with_terminal({"import", store_uri(dir, "copy")}, file);
  REQUIRE(imported.exit_code == 0);
  CHECK(imported.err.find("import [##############################] 100%") != std::string::npos);
  CHECK(run_tool({"import", store_uri(dir, "copy2")}, file).err.empty());
}

TEST_CASE("an export from a later position imports only where the log reaches it", "[cli]") {
  temp_dir dir;
  std::string source = store_uri(dir, "source");
  fill(source, 100);
  std::string tail =
      write_file(dir, "tail.jsonl", run_tool({"export", source, "--from", "50"}).out);
  std::string target = store_uri(dir, "target");
  check_one_line_error(run_tool({"import", target}, tail),
                       "positions 50 to 56: invalid argument: a recorded batch must start at "
                       "position 1 (the head + 1), not at position 50");
  std::string all = export_of(source).out;
  std::string head = write_file(dir, "head.jsonl", all.substr(0, all.find("{\"position\":60,")));
  CHECK(run_tool({"import", target}, head).out ==
        "imported 59 events (0 already present); head position 59\n");
  CHECK(run_tool({"import", target}, tail).out ==
        "imported 47 events (10 already present); head position 106\n");
  CHECK(export_of(target).out == all);
}

TEST_CASE("a segment store open in another process is refused in one line", "[cli]") {
  if (backend_under_test() != "segment") return;
  temp_dir dir;
  std::string uri = store_uri(dir, "s");
  fill(uri, 0);
  auto held = open_store(uri);
  check_one_line_error(run_tool({"info", uri}), "locked by another process");
  check_one_line_error(run_tool({"verify", uri}), "the store is open in another process");
  held->close();
  CHECK(run_tool({"verify", uri}).exit_code == 0);
}
