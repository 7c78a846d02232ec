// annal delete, truncate, metadata, scavenge and forget, run as real processes against the backend
// under test.
#include <catch2/catch.hpp>

#include "annal/error.hpp"
#include "annal/open_store.hpp"
#include "cli_fixture.hpp"
#include "support/eventually.hpp"
#include "support/segment_dir.hpp"
#include "support/store_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace annal;
using namespace annal::test;

namespace {

void append_three(const std::string& uri, const std::string& stream) {
  auto store = open_store(uri);
  for (int i = 0; i < 3; ++i) {
    store->append(stream, expected_version::any(), json_event("test.happened", "{}"));
  }
}

}  // namespace

TEST_CASE("delete soft-deletes or tombstones a stream and says which", "[cli][lifecycle]") {
  temp_dir dir;
  std::string uri = cli_store_uri(dir, "s");
  append_three(uri, "order-1");
  append_three(uri, "order-2");
  auto wrong = run_tool({"delete", uri, "order-1", "--expected-version", "2"});
  check_one_line_error(wrong, "expected exact(2)");
  auto soft = run_tool({"delete", uri, "order-1", "--reason", "asked"});
  REQUIRE(soft.exit_code == 0);
  CHECK(soft.out == "deleted order-1 at version 4 (position 7)\n");
  CHECK(run_tool({"delete", uri, "order-1"}).out ==
        "order-1 was already deleted (deletion event at position 7)\n");
  auto hard = run_tool({"delete", uri, "order-2", "--hard", "--expected-version", "3"});
  REQUIRE(hard.exit_code == 0);
  CHECK(hard.out.find("tombstoned order-2 at version 4") == 0);
  check_one_line_error(run_tool({"delete", uri, "order-2"}), "deleted for good");
  check_one_line_error(run_tool({"delete", uri, "missing"}), "stream 'missing' not found");
  auto shown = run_tool({"metadata", uri, "order-2"});
  CHECK(shown.out.find("status            tombstoned\n") != std::string::npos);
  CHECK(run_tool({"read", uri, "--stream", "order-1"}).out.empty());
  check_one_line_error(run_tool({"read", uri, "--stream", "order-2"}), "deleted for good");
  check_usage_error(run_tool({"delete", uri}), "STREAM");
}

TEST_CASE("truncate and metadata set and show what reads keep", "[cli][lifecycle]") {
  temp_dir dir;
  std::string uri = cli_store_uri(dir, "s");
  append_three(uri, "log");
  auto truncated = run_tool({"truncate", uri, "log", "--before", "3"});
  REQUIRE(truncated.exit_code == 0);
  CHECK(truncated.out.find("log: metadata version 1\n") == 0);
  CHECK(truncated.out.find("first visible     3\n") != std::string::npos);
  CHECK(line_count(run_tool({"read", uri, "--stream", "log"}).out) == 1);
  check_one_line_error(run_tool({"truncate", uri, "log", "--before", "9"}),
                       "truncate_before can be at most 4");
  check_usage_error(run_tool({"truncate", uri, "log", "--before", "x"}), "--before");
  auto limited = run_tool({"metadata", uri, "log", "--max-count", "1", "--max-age", "3600"});
  REQUIRE(limited.exit_code == 0);
  CHECK(limited.out.find("max count         1\n") != std::string::npos);
  CHECK(limited.out.find("max age           3600 s\n") != std::string::npos);
  CHECK(limited.out.find("truncate before   3\n") != std::string::npos);
  auto cleared = run_tool({"metadata", uri, "log", "--clear"});
  CHECK(cleared.out.find("metadata version 3\n") != std::string::npos);
  CHECK(cleared.out.find("first visible     1\n") != std::string::npos);
  CHECK(line_count(run_tool({"read", uri, "--stream", "log"}).out) == 3);
  auto fresh = run_tool({"metadata", uri, "nothing-here"});
  CHECK(fresh.out.find("status            no events\n") != std::string::npos);
}

TEST_CASE("scavenge erases what deletions hide, or says what it would", "[cli][lifecycle]") {
  temp_dir dir;
  std::string uri = cli_store_uri(dir, "s");
  append_three(uri, "order-1");
  REQUIRE(run_tool({"delete", uri, "order-1"}).exit_code == 0);
  auto dry = run_tool({"scavenge", uri, "--dry-run"});
  REQUIRE(dry.exit_code == 0);
  CHECK(dry.out.find("would erase 3 events (") == 0);
  CHECK(dry.out.find("in 1 streams with metadata\n") != std::string::npos);
  auto real = run_tool({"scavenge", uri});
  REQUIRE(real.exit_code == 0);
  if (backend_under_test() == "segment") {
    // Three small events stay in the segment log's active segment.
    CHECK(real.out.find("erased 0 events (") == 0);
    CHECK(real.out.find("; 3 left in the active segment for a later scavenge\n") !=
          std::string::npos);
    return;
  }
  CHECK(real.out.find("erased 3 events (") == 0);
  auto log = run_tool({"read", uri, "--all", "--type", "$erased"});
  CHECK(line_count(log.out) == 3);
  CHECK(run_tool({"scavenge", uri}).out.find("erased 0 events") == 0);
}

TEST_CASE("a copy of a store hides what the original hides", "[cli][lifecycle]") {
  temp_dir dir;
  std::string uri = cli_store_uri(dir, "s");
  append_three(uri, "soft");
  append_three(uri, "hard");
  append_three(uri, "cut");
  REQUIRE(run_tool({"delete", uri, "soft"}).exit_code == 0);
  REQUIRE(run_tool({"delete", uri, "hard", "--hard"}).exit_code == 0);
  REQUIRE(run_tool({"truncate", uri, "cut", "--before", "3"}).exit_code == 0);
  std::string copy = cli_store_uri(dir, "copy", other_backend());
  REQUIRE(run_tool({"migrate", uri, copy}).exit_code == 0);
  {
    auto store = open_store(copy);
    CHECK(store->read_stream("soft").empty());
    CHECK_THROWS_AS(store->read_stream("hard"), stream_deleted);
    CHECK_THROWS_AS(store->append("hard", expected_version::any(), json_event("t.x", "{}")),
                    stream_deleted);
    CHECK(store->read_stream("cut").size() == 1);
  }
  CHECK(export_of(copy).out == export_of(uri).out);
}

TEST_CASE("info shows where a segment log starts after retention, and its archived segments",
          "[cli][lifecycle]") {
  if (backend_under_test() != "segment") return;
  temp_dir dir;
  std::string plain = "segment:" + dir.file("store") + "?segment_size=2048";
  {
    auto store = open_store(plain);
    for (int i = 0; i < 60; ++i) store->append("s", expected_version::any(), make_padded_events(1));
  }
  {
    // Everything but the active segment goes; the thread finishes before close returns.
    auto store = open_store(plain + "&retention_bytes=1");
    REQUIRE(eventually([&] { return segment_file_count(dir.file("store")) == 1; }));
  }
  auto info = run_tool({"info", plain});
  REQUIRE(info.exit_code == 0);
  CHECK(info.out.find("first position  ") != std::string::npos);
  CHECK(info.out.find("segments        1\n") != std::string::npos);
  CHECK(info.out.find("head position   60\n") != std::string::npos);
}

TEST_CASE("forget erases a subject's personal fields in reads and exports", "[cli][privacy]") {
  temp_dir dir;
  std::string uri = cli_store_uri(dir, "s");
  {
    auto store = open_store(uri);
    for (const char* subject : {"c-1", "c-2"}) {
      auto e = json_event("customer.registered",
                          std::string(R"({"email":{"$personal":")") + subject + "@x\"}}");
      e.metadata.subject = subject;
      store->append(std::string("customer-") + subject, expected_version::any(), e);
    }
  }
  // An export holds what reads show: the personal data and its subject; an import seals it again.
  auto before = export_of(uri);
  CHECK(before.out.find(R"("metadata":{"subject":"c-1"})") != std::string::npos);
  CHECK(before.out.find("c-1@x") != std::string::npos);
  std::string copy = cli_store_uri(dir, "copy");
  REQUIRE(run_tool({"import", copy}, write_file(dir, "export.jsonl", before.out)).exit_code == 0);

  auto forgot = run_tool({"forget", uri, "c-1"});
  REQUIRE(forgot.exit_code == 0);
  CHECK(forgot.out == "forgot c-1: its key is destroyed and its personal fields read as erased\n");
  auto read = run_tool({"read", uri, "--stream", "customer-c-1"});
  CHECK(read.out.find(R"({"email":{"$erased":true}})") != std::string::npos);
  CHECK(read.out.find("c-1@x") == std::string::npos);
  auto after = export_of(uri);
  CHECK(after.out.find("c-1@x") == std::string::npos);
  CHECK(after.out.find("c-2@x") != std::string::npos);
  CHECK(after.out.find(R"("type":"$subject_forgotten")") != std::string::npos);
  CHECK(run_tool({"forget", uri, "c-1"}).out.find("c-1 has no key") == 0);
  // The copy has keys of its own: forgetting in the original leaves it readable.
  CHECK(export_of(copy).out.find("c-1@x") != std::string::npos);
  check_usage_error(run_tool({"forget", uri}), "SUBJECT");
  check_one_line_error(run_tool({"forget", uri, ""}), "subject to forget is empty");
}
