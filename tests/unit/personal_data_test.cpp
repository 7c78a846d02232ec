// Sealing and unsealing of personal fields in JSON payloads.
#include "core/personal_data.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "annal/error.hpp"

using namespace annal;
using annal::detail::seal_personal;
using annal::detail::subject_key;
using annal::detail::unseal_personal;

namespace {

const std::string payload =
    R"({"id":"c-1","name":{"$personal":"Ada"},"lines":[{"note":{"$personal":{"x":[1,2]}}}],"n":3})";

std::string open_with(const std::string& sealed, std::string_view subject, const subject_key* key) {
  auto key_of = [&](std::string_view) { return key; };
  auto opened = unseal_personal(sealed, subject, key_of, "stream", 7);
  REQUIRE(opened);
  return *opened;
}

}  // namespace

TEST_CASE("sealing hides every personal value and unsealing restores the payload exactly",
          "[personal]") {
  subject_key key = subject_key::random();
  auto sealed = seal_personal(payload, "c-1", key, false);
  REQUIRE(sealed);
  CHECK(sealed->find("Ada") == std::string::npos);
  CHECK(sealed->find("$personal") == std::string::npos);
  CHECK(sealed->find(R"("id":"c-1")") != std::string::npos);
  CHECK(sealed->find(R"("n":3)") != std::string::npos);
  // A fresh nonce each time: the same value never seals to the same text.
  CHECK(*seal_personal(payload, "c-1", key, false) != *sealed);
  CHECK(open_with(*sealed, "c-1", &key) == payload);
}

TEST_CASE("without its key a sealed value reads as erased", "[personal]") {
  subject_key key = subject_key::random();
  auto sealed = seal_personal(payload, "c-1", key, false);
  CHECK(open_with(*sealed, "c-1", nullptr) ==
        R"({"id":"c-1","name":{"$erased":true},"lines":[{"note":{"$erased":true}}],"n":3})");
}

TEST_CASE("payloads without personal values or not JSON are left alone", "[personal]") {
  subject_key key = subject_key::random();
  CHECK_FALSE(seal_personal(R"({"a":1})", "c-1", key, false));
  CHECK_FALSE(seal_personal(R"(not json "$personal")", "c-1", key, false));
  auto no_key = [](std::string_view) -> const subject_key* { return nullptr; };
  CHECK_FALSE(unseal_personal(R"({"a":1})", "c-1", no_key, "s", 1));
}

TEST_CASE("a sealed value altered, moved to another subject or opened with another key fails",
          "[personal]") {
  subject_key key = subject_key::random();
  auto sealed = *seal_personal(R"({"name":{"$personal":"Ada"}})", "c-1", key, false);
  auto expect_failure = [](const std::string& text, std::string_view subject, const subject_key& k,
                           const char* why) {
    try {
      open_with(text, subject, &k);
      FAIL("opened");
    } catch (const corruption& e) {
      CHECK(e.offset() == 7);
      CHECK_THAT(e.what(), Catch::Contains(why) && Catch::Contains("position 7"));
    }
  };
  std::string altered = sealed;
  std::size_t at = altered.find("$sealed") + 20;
  altered[at] = altered[at] == 'A' ? 'B' : 'A';
  expect_failure(altered, "c-1", key, "fails authentication");
  expect_failure(sealed, "c-2", key, "fails authentication");
  expect_failure(sealed, "c-1", subject_key::random(), "fails authentication");
  expect_failure(R"({"name":{"$sealed":"AAAA"}})", "c-1", key, "not a sealed value");
  expect_failure(R"({"name":{"$sealed":7}})", "c-1", key, "not a sealed value");
  // Found by fuzzing: a subject member cut off at the end of the text.
  expect_failure(R"({"name":{"$sealed":"AAAA","$subject":)", "c-1", key, "non-string");
  expect_failure(R"({"name":{"$sealed":"AAAA","$subject":"\x"}})", "c-1", key, "malformed");
}

TEST_CASE("a snapshot's sealed values name their subject", "[personal]") {
  subject_key key = subject_key::random();
  auto sealed = *seal_personal(R"({"name":{"$personal":"Ada"}})", "c-1", key, true);
  CHECK(sealed.find(R"("$subject":"c-1")") != std::string::npos);
  std::string asked;
  auto key_of = [&](std::string_view subject) {
    asked = subject;
    return &key;
  };
  CHECK(*unseal_personal(sealed, "", key_of, "s", 1) == R"({"name":{"$personal":"Ada"}})");
  CHECK(asked == "c-1");
}

TEST_CASE("sealing works on the text: spacing is kept, strings and other objects are left alone",
          "[personal]") {
  subject_key key = subject_key::random();
  const std::string pretty = "{\n  \"name\": { \"$personal\" : \"Ada\" },\n  \"n\": 1\n}";
  auto sealed = seal_personal(pretty, "c-1", key, false);
  REQUIRE(sealed);
  CHECK(sealed->find("Ada") == std::string::npos);
  CHECK(sealed->find("\n  \"n\": 1\n}") != std::string::npos);
  CHECK(open_with(*sealed, "c-1", &key) == pretty);
  // Text that only looks like a personal object inside a string, and an object with more
  // members, are not personal objects.
  CHECK_FALSE(seal_personal(R"({"note":"{\"$personal\":1}"})", "c-1", key, false));
  CHECK_FALSE(seal_personal(R"({"x":{"$personal":1,"y":2}})", "c-1", key, false));
  CHECK(annal::detail::has_personal_member(R"({"x":{"$personal":1,"y":2}})"));
  CHECK(annal::detail::has_personal_member(R"({"x":{"y":2, "$personal" :1}})"));
  CHECK_FALSE(annal::detail::has_personal_member(R"({"note":"{\"$personal\":1}"})"));
  CHECK_FALSE(annal::detail::has_personal_member(R"(["$personal"])"));
  CHECK_FALSE(annal::detail::has_personal_member(*seal_personal(pretty, "c-1", key, false)));
  CHECK_FALSE(seal_personal(R"({"x":{"$personal":)", "c-1", key, false));
  // Nested personal objects are sealed with the outer one.
  auto nested = seal_personal(R"([{"$personal":{"a":{"$personal":"b"}}}])", "c-1", key, false);
  REQUIRE(nested);
  CHECK(nested->find("$personal") == std::string::npos);
  CHECK(open_with(*nested, "c-1", &key) == R"([{"$personal":{"a":{"$personal":"b"}}}])");
}
