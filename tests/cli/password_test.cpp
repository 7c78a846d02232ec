// The annal tool never prints a PostgreSQL password: not in errors, not in echoed arguments.
#include <catch2/catch.hpp>

#include "cli_fixture.hpp"

using namespace annal;
using namespace annal::test;

namespace {

constexpr const char* password = "s3cret-Pw";

// URIs of a server that refuses connections, each holding the password in another place or
// with another mistake a libpq error message echoes.
std::vector<std::string> uris_with_password() {
  std::string pw = password;
  return {
      "postgres://ada:" + pw + "@127.0.0.1:1/shop",
      "postgresql://ada:" + pw + "@127.0.0.1:1/shop?schema=app",
      "postgres://ada@127.0.0.1:1/shop?password=" + pw,
      "postgres://ada:%zz" + pw + "@127.0.0.1:1/shop",  // a bad percent-encoding
      "postgres://ada:" + pw + "@[::1/shop",              // a bad IPv6 host: libpq echoes the URI
      "postgres://ada:" + pw + "@127.0.0.1:1/shop?bogus=1",
  };
}

}  // namespace

TEST_CASE("no command prints the password of a PostgreSQL URI", "[cli][password]") {
  temp_dir dir;
  std::string local = cli_store_uri(dir, "local");
  fill(local, 10);
  std::string exported = write_file(dir, "all.jsonl", export_of(local).out);
  for (const auto& uri : uris_with_password()) {
    std::vector<std::pair<std::vector<std::string>, std::string>> runs{
        {{"info", uri}, "/dev/null"},
        {{"streams", uri}, "/dev/null"},
        {{"read", uri, "--all"}, "/dev/null"},
        {{"tail", uri}, "/dev/null"},
        {{"export", uri}, "/dev/null"},
        {{"import", uri}, exported},
        {{"migrate", local, uri}, "/dev/null"},
        {{"migrate", uri, local}, "/dev/null"},
        {{"verify", uri}, "/dev/null"},
        // Usage errors that echo an argument.
        {{"verify", local, uri}, "/dev/null"},
        {{"info", uri, "--bogus", uri}, "/dev/null"},
        {{"migrate", uri, uri, uri}, "/dev/null"},
    };
    for (const auto& [args, input] : runs) {
      std::string line;
      for (const auto& a : args) line += a + " ";
      INFO(line);
      auto r = run_tool(args, input);
      INFO(r.err);
      CHECK(r.exit_code != 0);
      CHECK(r.out.find(password) == std::string::npos);
      CHECK(r.err.find(password) == std::string::npos);
      CHECK(r.err.rfind("annal: error: ", 0) == 0);
    }
  }
}
