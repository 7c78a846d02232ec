// redact_uri(): passwords never reach a printed store URI.
#include <catch2/catch.hpp>

#include "annal/open_store.hpp"

using annal::redact_uri;

TEST_CASE("redact_uri hides the password of a postgres URI and leaves the rest", "[uri]") {
  CHECK(redact_uri("postgres://ada:s3cret@db.example:5432/shop?schema=app") ==
        "postgres://ada:***@db.example:5432/shop?schema=app");
  CHECK(redact_uri("postgresql://ada:p%40ss@localhost/shop") ==
        "postgresql://ada:***@localhost/shop");
  // A password holding '@' or ':' is still hidden whole: the userinfo ends at the last '@'.
  CHECK(redact_uri("postgres://ada:a@b:c@host/db") == "postgres://ada:***@host/db");
  CHECK(redact_uri("postgres://ada@host/db") == "postgres://ada@host/db");
  CHECK(redact_uri("postgres://host/db") == "postgres://host/db");
}

TEST_CASE("redact_uri hides a password query parameter", "[uri]") {
  CHECK(redact_uri("postgres://ada@host/db?password=x&schema=s") ==
        "postgres://ada@host/db?password=***&schema=s");
  CHECK(redact_uri("postgres://host/db?schema=s&password=xyz") ==
        "postgres://host/db?schema=s&password=***");
  CHECK(redact_uri("postgres://u:p@host/db?sslmode=require&password=q") ==
        "postgres://u:***@host/db?sslmode=require&password=***");
}

TEST_CASE("redact_uri leaves file URIs alone", "[uri]") {
  CHECK(redact_uri("sqlite:data/orders.db") == "sqlite:data/orders.db");
  CHECK(redact_uri("segment:/var/lib/a:b@c") == "segment:/var/lib/a:b@c");
  CHECK(redact_uri("") == "");
}

TEST_CASE("redact_passwords hides a URI's passwords wherever a message repeats them", "[uri]") {
  using annal::redact_passwords;
  std::string uri = "postgres://ada:s3cret@[::1/db?password=other&schema=s";
  // libpq echoes a malformed URI whole, or only its offending part.
  CHECK(redact_passwords("bad host in URI: \"" + uri + "\"", uri) ==
        "bad host in URI: \"postgres://ada:***@[::1/db?password=***&schema=s\"");
  CHECK(redact_passwords("invalid percent-encoded token: \"s3cret\"", uri) ==
        "invalid percent-encoded token: \"***\"");
  CHECK(redact_passwords("s3cret and s3cret", uri) == "*** and ***");
  // Percent-encoded in the URI, decoded in a message.
  CHECK(redact_passwords("user p@ss", "postgres://ada:p%40ss@host/db") == "user ***");
  CHECK(redact_passwords("token \"%zzp\"", "postgres://ada:%zzp@host/db") == "token \"***\"");
  CHECK(redact_passwords("nothing secret here", uri) == "nothing secret here");
  CHECK(redact_passwords("sqlite:a:b@c", "sqlite:a:b@c") == "sqlite:a:b@c");
  CHECK(redact_passwords("no password", "postgres://ada@host/db") == "no password");
}
