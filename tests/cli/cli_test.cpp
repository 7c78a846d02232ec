// The annal tool, run as a real process against the backend under test (and the other one).
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>

#include "annal/open_store.hpp"
#include "annal/verify.hpp"
#include "cli_fixture.hpp"
#include "support/raw_sqlite.hpp"
#include "support/store_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace annal;
using namespace annal::test;

TEST_CASE("info reports the backend, format, head, counts, size and time span", "[cli]") {
  temp_dir dir;
  std::string uri = cli_store_uri(dir, "s");
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
  CHECK(r.out.find("store id        " + open_store(uri)->store_id().to_string() + "\n") !=
        std::string::npos);
  CHECK(line_count(r.out) == 10);
}

TEST_CASE("streams lists streams in id order with versions, by prefix and limit", "[cli]") {
  temp_dir dir;
  std::string uri = cli_store_uri(dir, "s");
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
  std::string uri = cli_store_uri(dir, "s");
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
  // A type version other than 1 follows the type.
  auto versioned = run_tool({"read", uri, "--stream", "order-1", "--format", "table"});
  CHECK(versioned.out.find("  order.item_added v3  ") != std::string::npos);
  CHECK(versioned.out.find("  order.paid           ") != std::string::npos);

  auto pretty = run_tool({"read", uri, "--stream", "order-1", "--limit", "1", "--format", "json"});
  CHECK(pretty.out.find("\n  \"payload\": {\n    \"customer\": \"ada\",") != std::string::npos);
  CHECK(pretty.out.find("\"correlation_id\": \"req-1\"") != std::string::npos);

  CHECK(run_tool({"read", uri, "--stream", "nobody"}).out.empty());
}

TEST_CASE("export, import and export again gives byte-identical output on either backend",
          "[cli]") {
  temp_dir dir;
  std::string source = cli_store_uri(dir, "source");
  fill(source);
  auto first = export_of(source);
  CHECK(first.err.empty());  // no progress bar when standard error is not a terminal
  CHECK(line_count(first.out) == 2506);
  CHECK(first.out.find("\"payload\":{\"customer\":\"ada\",\"lines\":[1,2,3]}}\n") !=
        std::string::npos);
  CHECK(first.out.find("\"stream_base64\":") != std::string::npos);
  CHECK(first.out.find("\"type_base64\":") != std::string::npos);
  // A type version other than 1 travels; version 1 is the member's absence.
  CHECK(first.out.find("\"type\":\"order.item_added\",\"type_version\":3,") != std::string::npos);
  CHECK(first.out.find("\"type\":\"order.placed\",\"id\":") != std::string::npos);
  std::string file = write_file(dir, "export.jsonl", first.out);

  for (const std::string& backend : {backend_under_test(), other_backend()}) {
    INFO(backend);
    std::string copy = cli_store_uri(dir, "copy-" + backend, backend);
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
  std::string source = cli_store_uri(dir, "source");
  fill(source, 100);
  std::string text = export_of(source).out;
  std::string file = write_file(dir, "all.jsonl", text);
  std::string target = cli_store_uri(dir, "target");

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
  std::string source = cli_store_uri(dir, "source");
  fill(source, 0);
  std::string text = export_of(source).out;
  std::string target = cli_store_uri(dir, "target");
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
      // Metadata annal cannot hold is refused, never dropped: a re-export would differ.
      {R"({"position":7,"stream":"s","version":1,"type":"t","id":"0193a1b2-0000-7000-8000-000000000009","timestamp":"2026-01-01T00:00:00Z","encoding":"json","metadata":{"x":"y"},"payload":{}})",
       "member \"metadata\" has an unknown key \"x\""},
      {R"({"position":7,"stream":"s","version":1,"type":"t","id":"0193a1b2-0000-7000-8000-000000000009","timestamp":"2026-01-01T00:00:00Z","encoding":"json","metadata":{"properties":{"k":"1","k":"2"}},"payload":{}})",
       "key \"k\" appears twice"},
      // Deeper than any store accepts (annal::max_payload_nesting): refused on its own line.
      {R"({"position":7,"stream":"s","version":1,"type":"t","id":"0193a1b2-0000-7000-8000-000000000009","timestamp":"2026-01-01T00:00:00Z","encoding":"json","payload":)" +
           std::string(100000, '[') + std::string(100000, ']') + "}",
       "member \"payload\" is JSON nested more than 256 levels deep"},
  };
  for (const auto& c : cases) {
    INFO(c.line.substr(0, 300));
    auto r = run_tool({"import", target}, write_file(dir, "bad.jsonl", text + c.line + "\n"));
    check_one_line_error(r, "line 7: ");
    CHECK(r.err.find(c.message) != std::string::npos);
    CHECK(export_of(target).out == text);
  }
}

TEST_CASE("an error found when a batch is stored names the lines of that batch", "[cli]") {
  temp_dir dir;
  std::string source = cli_store_uri(dir, "source");
  fill(source, 0);
  std::string text = export_of(source).out;
  std::string target = cli_store_uri(dir, "target");
  // A nil id is refused by the store when the batch is written, which here happens only when
  // the next line (another stream) or the end of the input is read.
  std::string nil_id =
      R"({"position":7,"stream":"s","version":1,"type":"t","id":"00000000-0000-0000-0000-000000000000","timestamp":"2026-01-01T00:00:00Z","encoding":"json","payload":{}})"
      "\n";
  std::string next =
      R"({"position":8,"stream":"u","version":1,"type":"t","id":"0193a1b2-0000-7000-8000-000000000009","timestamp":"2026-01-01T00:00:00Z","encoding":"json","payload":{}})"
      "\n";
  for (const std::string& input : {text + nil_id, text + nil_id + next}) {
    auto r = run_tool({"import", target}, write_file(dir, "in.jsonl", input));
    check_one_line_error(r, "line 7: invalid argument: event 0 of the batch has a nil id");
    CHECK(export_of(target).out == text);
  }
}

TEST_CASE("migrate to the other backend and back gives identical exports and clean stores",
          "[cli]") {
  temp_dir dir;
  std::string source = cli_store_uri(dir, "source");
  fill(source);
  std::string middle = cli_store_uri(dir, "middle", other_backend());
  std::string back = cli_store_uri(dir, "back");
  auto there = run_tool({"migrate", source, middle});
  REQUIRE(there.exit_code == 0);
  CHECK(there.out == "migrated 2506 events (0 already present); head position 2506\n");
  REQUIRE(run_tool({"migrate", middle, back}).exit_code == 0);
  std::string expected = export_of(source).out;
  CHECK(export_of(middle).out == expected);
  CHECK(export_of(back).out == expected);
  // The copies are the same store: read models built from the source stay valid for them.
  uuid identity = open_store(source)->store_id();
  CHECK(open_store(middle)->store_id() == identity);
  CHECK(open_store(back)->store_id() == identity);
  for (const auto& uri : {middle, back}) {
    auto v = run_tool({"verify", uri});
    CHECK(v.exit_code == 0);
    CHECK(v.out.rfind("ok: ", 0) == 0);
  }
  // Nothing to do the second time.
  CHECK(run_tool({"migrate", source, middle}).out ==
        "migrated 0 events (1 already present); head position 2506\n");
}

TEST_CASE("a migrate killed between two batches resumes to an identical store", "[cli]") {
  temp_dir dir;
  std::string source = cli_store_uri(dir, "source");
  fill(source, 5000);  // about 500 batches of ten events
  std::string target = cli_store_uri(dir, "target", other_backend());
  std::mt19937 random(std::random_device{}());
  for (int attempt = 0; attempt < 4; ++attempt) {
    // The tool stops itself after its Nth batch is stored; 4 x 100 batches cannot reach the end,
    // so every kill lands in the middle of the migrate, whatever the machine's speed.
    std::uint64_t batches = 1 + random() % 100;
    INFO("attempt " << attempt << ", killed after batch " << batches);
    tool_process p({"migrate", source, target}, dir.file("out"), dir.file("err"),
                   {"ANNAL_TEST_STOP_AFTER_BATCHES=" + std::to_string(batches)});
    REQUIRE(p.wait_until_stopped());
    p.signal(SIGKILL);
    CHECK(p.wait() == 128 + SIGKILL);
  }
  auto finished = run_tool({"migrate", source, target});
  REQUIRE(finished.exit_code == 0);
  CHECK(finished.out.find(" events (1 already present); head position 5006\n") !=
        std::string::npos);
  CHECK(export_of(target).out == export_of(source).out);
  CHECK(verify_store(target).ok());
  CHECK(open_store(target)->store_id() == open_store(source)->store_id());
}

TEST_CASE("migrate refuses a target that is not a copy of the source", "[cli]") {
  temp_dir dir;
  std::string source = cli_store_uri(dir, "source");
  fill(source, 10);
  std::string other = cli_store_uri(dir, "other", other_backend());
  fill(other, 10);
  auto r = run_tool({"migrate", source, other});
  check_one_line_error(r, "different event at position 16");
  std::string bigger = cli_store_uri(dir, "bigger");
  fill(bigger, 20);
  check_one_line_error(run_tool({"migrate", source, bigger}), "more than the source's 16");
}

TEST_CASE("verify exits with 0 on a clean store and 1 with the location of damage", "[cli]") {
  temp_dir dir;
  std::string uri = cli_store_uri(dir, "s");
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
  std::string uri = cli_store_uri(dir, "s");
  fill(uri, 0);
  std::string out = dir.file("tail.out");
  tool_process tail({"tail", uri, "--from", "4", "--type", "blob.stored", "--type", "live.event"},
                    out, dir.file("tail.err"));
  CHECK(wait_for_lines(out, 2) == 2);
  if (backend_under_test() == "sqlite") {
    // Another process may append to a SQLite store while tail reads it.
    auto store = open_store(uri);
    store->append("live", expected_version::any(), json_event("live.event", "{}"));
    store->append("live", expected_version::any(), json_event("ignored.event", "{}"));
    CHECK(wait_for_lines(out, 3) == 3);
    CHECK(read_file(out).find("\"type\":\"live.event\"") != std::string::npos);
  }
  tail.signal(SIGINT);
  CHECK(tail.wait() == 0);
  CHECK(read_file(dir.file("tail.err")).empty());
}

TEST_CASE("progress is drawn when standard error is a terminal, and only then", "[cli]") {
  temp_dir dir;
  std::string source = cli_store_uri(dir, "source");
  fill(source, 100);
  auto exported = test::run_tool_with_terminal({"export", source});
  REQUIRE(exported.exit_code == 0);
  CHECK(exported.err.find("export [##############################] 100%  106/106 events") !=
        std::string::npos);
  std::string file = write_file(dir, "all.jsonl", exported.out);
  auto imported = test::run_tool_with_terminal({"import", cli_store_uri(dir, "copy")}, file);
  REQUIRE(imported.exit_code == 0);
  CHECK(imported.err.find("import [##############################] 100%") != std::string::npos);
  CHECK(run_tool({"import", cli_store_uri(dir, "copy2")}, file).err.empty());
}

TEST_CASE("an export from a later position imports only where the log reaches it", "[cli]") {
  temp_dir dir;
  std::string source = cli_store_uri(dir, "source");
  fill(source, 100);
  std::string tail =
      write_file(dir, "tail.jsonl", run_tool({"export", source, "--from", "50"}).out);
  std::string target = cli_store_uri(dir, "target");
  check_one_line_error(run_tool({"import", target}, tail),
                       "lines 1 to 7: invalid argument: a recorded batch must start at "
                       "position 1 (the head + 1), not at position 50");
  std::string all = export_of(source).out;
  std::string head = write_file(dir, "head.jsonl", all.substr(0, all.find("{\"position\":60,")));
  CHECK(run_tool({"import", target}, head).out ==
        "imported 59 events (0 already present); head position 59\n");
  CHECK(run_tool({"import", target}, tail).out ==
        "imported 47 events (10 already present); head position 106\n");
  CHECK(export_of(target).out == all);
}

TEST_CASE("types lists each stored type and version, and checks them against a program's list",
          "[cli]") {
  temp_dir dir;
  std::string uri = cli_store_uri(dir, "s");
  fill(uri, 20);
  auto listed = run_tool({"types", uri});
  REQUIRE(listed.exit_code == 0);
  CHECK(listed.out ==
        "blob.stored\t1\t2\t4\t5\n"
        "bulk.even\t1\t8\t7\t26\n"
        "bulk.odd\t1\t12\t8\t25\n"
        "odd.type-\xfe\t1\t1\t6\t6\n"
        "order.item_added\t3\t1\t2\t2\n"
        "order.paid\t1\t1\t3\t3\n"
        "order.placed\t1\t1\t1\t1\n");

  std::string reads = write_file(dir, "reads.txt",
                                 "# what the program reads\n"
                                 "order.placed 1\norder.item_added *\norder.paid 1\n\n");
  auto checked = run_tool({"types", uri, "--expect", reads, "--ignore", "bulk.", "--ignore",
                           "blob.", "--ignore", "odd."});
  CHECK(checked.exit_code == 0);
  CHECK(checked.err.empty());
  CHECK(checked.out.find("order.item_added\t3\t1\t2\t2\tread\n") != std::string::npos);
  CHECK(checked.out.find("bulk.odd\t1\t12\t8\t25\tignored\n") != std::string::npos);

  auto missing =
      run_tool({"types", uri, "--expect", reads, "--ignore", "bulk.", "--ignore", "odd."});
  CHECK(missing.exit_code == 1);
  CHECK(missing.out.find("blob.stored\t1\t2\t4\t5\tUNREAD\n") != std::string::npos);
  CHECK(missing.err == "annal: 1 stored type the program does not read: blob.stored v1\n");

  std::string old_only = write_file(dir, "old.txt", "order.placed 1\norder.item_added 2\n");
  auto unread = run_tool({"types", uri, "--expect", old_only, "--ignore", "bulk.", "--ignore",
                          "blob.", "--ignore", "odd.", "--ignore", "order.paid"});
  CHECK(unread.exit_code == 1);
  CHECK(unread.err.find("order.item_added v3") != std::string::npos);

  for (const char* bad :
       {"order.placed\n", "order.placed 0\n", "order.placed 70000\n", "order.placed x\n", " 1\n"}) {
    std::string file = write_file(dir, "bad.txt", std::string("order.paid 1\n") + bad);
    INFO(bad);
    check_one_line_error(run_tool({"types", uri, "--expect", file}), "bad.txt line 2: expected");
  }
  check_usage_error(run_tool({"types", uri, "--ignore", "x."}), "--ignore needs --expect");
}

TEST_CASE("query prints the events of tags, types and items after a position, limited",
          "[cli][dcb]") {
  temp_dir dir;
  // The backend that serves queries on every platform the suite runs.
  std::string uri = cli_store_uri(dir, "q", "sqlite");
  {
    auto store = open_store(uri);
    auto tagged = [](std::string type, std::vector<std::string> tags) {
      event_data e = json_event(std::move(type), "{}");
      e.tags = std::move(tags);
      return e;
    };
    store->append("course-1", expected_version::any(),
                  tagged("course.defined", {"course:c1"}));  // 1
    store->append("student-1", expected_version::any(),
                  tagged("student.enrolled", {"course:c1", "student:s1"}));  // 2
    store->append("student-2", expected_version::any(),
                  tagged("student.enrolled", {"course:c2", "student:s2"}));         // 3
    store->append("student-1", expected_version::any(), json_event("note", "{}"));  // 4
  }
  auto positions = [](const tool_result& r) {
    std::vector<int> found;
    for (std::size_t at = r.out.find("{\"position\":"); at != std::string::npos;
         at = r.out.find("{\"position\":", at + 1)) {
      found.push_back(std::stoi(r.out.substr(at + 12)));
    }
    return found;
  };
  auto c1 = run_tool({"query", uri, "--tag", "course:c1"});
  REQUIRE(c1.exit_code == 0);
  CHECK(positions(c1) == std::vector<int>{1, 2});
  CHECK(c1.out.find("\"tags\":[\"course:c1\",\"student:s1\"]") != std::string::npos);
  CHECK(positions(run_tool({"query", uri, "--type", "student.enrolled"})) ==
        std::vector<int>{2, 3});
  CHECK(positions(run_tool({"query", uri, "--type", "student.enrolled", "--tag", "course:c1"})) ==
        std::vector<int>{2});
  CHECK(positions(run_tool({"query", uri, "--item", R"({"tags":["student:s2"]})", "--item",
                            R"({"types":["course.defined"]})"})) == std::vector<int>{1, 3});
  CHECK(positions(run_tool({"query", uri, "--tag", "stream:student-1"})) == std::vector<int>{2, 4});
  CHECK(positions(run_tool({"query", uri, "--all", "--after", "1", "--limit", "2"})) ==
        std::vector<int>{2, 3});
  CHECK(run_tool({"query", uri, "--tag", "course:c9"}).out.empty());
  auto pretty = run_tool({"query", uri, "--tag", "student:s1", "--format", "json"});
  CHECK(pretty.out.find("\"tags\": [\n    \"course:c1\",\n    \"student:s1\"\n  ]") !=
        std::string::npos);

  check_usage_error(run_tool({"query", uri}), "query needs --item, --type or --tag");
  check_usage_error(run_tool({"query", uri, "--item", "[1]"}), "--item must be a JSON object");
  check_usage_error(run_tool({"query", uri, "--item", R"({"tag":["x"]})"}),
                    "unknown member \"tag\"");
  check_usage_error(run_tool({"query", uri, "--item", R"({"tags":"x"})"}),
                    "must be an array of strings");
  check_usage_error(run_tool({"query", uri, "--tag", "$mine"}), "annal's own");
  check_usage_error(run_tool({"query", uri, "--all", "--tag", "x"}), "--all matches every event");
}
