// The annal tool's command line: usage errors, help, and stores that are missing or not stores.
#include <catch2/catch.hpp>
#include <filesystem>

#include "annal/open_store.hpp"
#include "cli_fixture.hpp"
#include "support/store_fixture.hpp"

using namespace annal;
using namespace annal::test;

namespace {

std::string joined(const std::vector<std::string>& args) {
  std::string text;
  for (const auto& a : args) text += a + " ";
  return text;
}

}  // namespace

TEST_CASE("bad arguments exit with 2, an error line and a usage line", "[cli]") {
  temp_dir dir;
  std::string uri = cli_store_uri(dir, "s");
  fill(uri, 0);
  std::vector<std::vector<std::string>> bad{
      {},
      {"frobnicate"},
      {"info"},
      {"info", uri, "--bogus"},
      {"read", uri},
      {"read", uri, "--stream", "a", "--all"},
      {"read", uri, "--all", "--format", "xml"},
      {"streams", uri, "--limit", "many"},
      {"migrate", uri},
  };
  for (const auto& args : bad) {
    INFO(joined(args));
    check_usage_error(run_tool(args), "");
  }
}

TEST_CASE("every numeric option takes a decimal whole number in its range, or exits with 2",
          "[cli]") {
  temp_dir dir;
  std::string uri = cli_store_uri(dir, "s");
  fill(uri, 0);
  // Every numeric option of every command, each with the command line it needs.
  std::vector<std::pair<std::vector<std::string>, std::string>> options{
      {{"streams", uri}, "--limit"},
      {{"read", uri, "--all"}, "--from"},
      {{"read", uri, "--stream", "s"}, "--from"},
      {{"read", uri, "--all"}, "--limit"},
      {{"tail", uri}, "--from"},
      {{"export", uri}, "--from"},
  };
  for (const auto& [command, option] : options) {
    for (std::string value : {"-1", "18446744073709551616", "18446744073709551617", "0x10", "010x",
                              "1e3", "", "+5", " 5", "5 ", "many", "1.5"}) {
      auto args = command;
      args.insert(args.end(), {option, value});
      INFO(joined(args));
      auto r = run_tool(args);
      check_usage_error(r, option + " needs a whole number");
      CHECK(r.err.find("'" + value + "'") != std::string::npos);
    }
    auto args = command;
    args.insert(args.end(), {option, "0"});
    INFO(joined(args));
    auto zero = run_tool(args);
    check_usage_error(zero, option + " needs a whole number of at least 1, not '0'");
    CHECK(zero.err.find("1.797") == std::string::npos);
  }
  // The largest value is a value: nothing is stored that far.
  auto last = run_tool({"read", uri, "--all", "--from", "18446744073709551615"});
  CHECK(last.exit_code == 0);
  CHECK(last.out.empty());
  CHECK(run_tool({"read", uri, "--all", "--from", "0004", "--limit", "1"})
            .out.rfind("{\"position\":4,", 0) == 0);
}

TEST_CASE("every command has --help with examples, the store URI forms and the exit codes",
          "[cli]") {
  for (const char* command :
       {"info", "streams", "read", "tail", "export", "import", "migrate", "verify"}) {
    INFO(command);
    auto r = run_tool({command, "--help"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("Examples:\n  annal " + std::string(command)) != std::string::npos);
    CHECK(r.out.find("Exit codes: 0 ok, 1 problems found") != std::string::npos);
    CHECK(r.out.find("sqlite:FILE") != std::string::npos);
    CHECK(r.out.find("segment:DIR") != std::string::npos);
    CHECK(r.out.find("postgres://") != std::string::npos);
  }
  auto top = run_tool({"--help"});
  CHECK(top.exit_code == 0);
  CHECK(top.out.find("migrate") != std::string::npos);
}

TEST_CASE("a missing store is a one-line error and is not created", "[cli]") {
  temp_dir dir;
  std::string uri = cli_store_uri(dir, "missing");
  for (const char* command : {"info", "streams", "export", "verify"}) {
    INFO(command);
    check_one_line_error(run_tool({command, uri}), "does not exist");
  }
  check_one_line_error(run_tool({"read", uri, "--all"}), "does not exist");
  check_one_line_error(run_tool({"migrate", uri, cli_store_uri(dir, "target")}), "does not exist");
  CHECK_FALSE(std::filesystem::exists(dir.file("missing.db")));
  CHECK_FALSE(std::filesystem::exists(dir.file("missing")));
  CHECK_FALSE(std::filesystem::exists(dir.file("target.db")));
  check_one_line_error(run_tool({"info", "nothing:x"}), "unknown scheme");
}

TEST_CASE("a store path of the wrong kind is named as what it is", "[cli]") {
  temp_dir dir;
  std::filesystem::create_directory(dir.file("a-directory"));
  write_file(dir, "a-file", "text");
  for (const char* command : {"info", "streams", "export", "verify"}) {
    INFO(command);
    auto sqlite = run_tool({command, "sqlite:" + dir.file("a-directory")});
    check_one_line_error(sqlite, "is a directory, not a SQLite database file");
    CHECK(sqlite.err.find("does not exist") == std::string::npos);
    auto segment = run_tool({command, "segment:" + dir.file("a-file")});
    check_one_line_error(segment, "is a file, not a segment store directory");
    CHECK(segment.err.find("does not exist") == std::string::npos);
  }
}

TEST_CASE("a segment store open in another process is refused in one line", "[cli]") {
  if (backend_under_test() != "segment") return;
  temp_dir dir;
  std::string uri = cli_store_uri(dir, "s");
  fill(uri, 0);
  auto held = open_store(uri);
  check_one_line_error(run_tool({"info", uri}), "locked by another process");
  check_one_line_error(run_tool({"verify", uri}), "the store is open in another process");
  for (auto args :
       std::vector<std::vector<std::string>>{{"scavenge", uri, "--dry-run"},
                                             {"delete", uri, "order-1"},
                                             {"truncate", uri, "order-1", "--before", "2"},
                                             {"metadata", uri, "order-1"}}) {
    check_one_line_error(run_tool(args), "locked by another process");
  }
  held->close();
  CHECK(run_tool({"verify", uri}).exit_code == 0);
}

TEST_CASE("a segment store whose LOCK is a directory says so, not that it is in use", "[cli]") {
  if (backend_under_test() != "segment") return;
  temp_dir dir;
  std::string uri = cli_store_uri(dir, "s");
  fill(uri, 0);
  std::filesystem::remove(dir.file("s/LOCK"));
  std::filesystem::create_directory(dir.file("s/LOCK"));
  for (const char* command : {"info", "verify", "export"}) {
    INFO(command);
    auto r = run_tool({command, uri});
    check_one_line_error(r, "s/LOCK': the lock file is a directory, not a file");
    CHECK(r.err.find("another process") == std::string::npos);
  }
}
