// json_nesting_depth(): the bracket count that guards every reader against deep payloads.
#include <catch2/catch.hpp>
#include <string>

#include "core/json_nesting.hpp"

using annal::detail::json_nesting_depth;

TEST_CASE("json_nesting_depth counts arrays and objects outside strings", "[json]") {
  CHECK(json_nesting_depth("1", 10) == 0);
  CHECK(json_nesting_depth("\"[[[\"", 10) == 0);
  CHECK(json_nesting_depth("[1]", 10) == 1);
  CHECK(json_nesting_depth("{\"a\":[{\"b\":[]}],\"c\":{}}", 10) == 4);
  CHECK(json_nesting_depth("[[],[[]],[]]", 10) == 3);
  // An escaped quote does not end a string; an escaped backslash before a quote does.
  CHECK(json_nesting_depth(R"(["\"[[[", [1]])", 10) == 2);
  CHECK(json_nesting_depth(R"(["\\", [1]])", 10) == 2);
  // Unbalanced closers never take the depth below zero.
  CHECK(json_nesting_depth("]]][", 10) == 1);
}

TEST_CASE("json_nesting_depth stops past the limit", "[json]") {
  std::string deep = std::string(1'000'000, '[');
  CHECK(json_nesting_depth(deep, 256) == 257);
  CHECK(json_nesting_depth(std::string(256, '{'), 256) == 256);
  CHECK(json_nesting_depth("", 0) == 0);
  CHECK(json_nesting_depth("[]", 0) == 1);
}
