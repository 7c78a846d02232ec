// annal::personal<T> in the codec: its JSON form, erased values and the subject of an event.
#include "annal/personal.hpp"

#include <catch2/catch.hpp>

#include "annal/codec.hpp"
#include "annal/error.hpp"
#include "annal/schema_fingerprint.hpp"

using namespace annal;

namespace {

struct address {
  std::string street;
  int number = 0;
  friend bool operator==(const address&, const address&) = default;
};

struct signed_up {
  static constexpr std::string_view type = "user.signed_up";
  static constexpr std::string_view subject_field = "user_id";
  std::uint64_t user_id = 0;
  personal<std::string> email;
  personal<address> home;
  std::optional<personal<int>> age;
};
struct plain {
  static constexpr std::string_view type = "user.plain";
  std::string note;
};
using codec = event_codec<std::variant<signed_up, plain>>;

struct no_subject {
  static constexpr std::string_view type = "user.no_subject";
  personal<std::string> email;
};

struct with_personal {
  personal<std::string> name;
};
struct without {
  std::string name;
};

recorded_event stored(const std::string& payload) {
  recorded_event e;
  e.type = "user.signed_up";
  e.payload = payload;
  return e;
}

}  // namespace

TEST_CASE("personal values are written as marked objects; the subject comes from its field",
          "[personal]") {
  event_data e = codec::encode(signed_up{42, std::string("a@b.c"), address{"Main", 1}, 30});
  CHECK(
      e.payload ==
      R"({"user_id":42,"email":{"$personal":"a@b.c"},"home":{"$personal":{"street":"Main","number":1}},"age":{"$personal":30}})");
  CHECK(e.metadata.subject == "42");
  CHECK(codec::encode(plain{"x"}).metadata.subject.empty());
  auto back = codec::decode_as<signed_up>(stored(e.payload));
  CHECK(back.email.value() == "a@b.c");
  CHECK(back.home.value() == address{"Main", 1});
  CHECK(back.age->value() == 30);
}

TEST_CASE("an erased value decodes as erased and throws a typed error when read", "[personal]") {
  auto back = codec::decode_as<signed_up>(stored(
      R"({"user_id":1,"email":{"$erased":true},"home":{"$erased":true},"age":{"$erased":true}})"));
  CHECK(back.email.erased());
  CHECK(back.home.erased());
  CHECK_THROWS_AS(back.email.value(), personal_data_erased);
  try {
    (void)back.home.value();
  } catch (const error& e) {
    CHECK(e.code() == errc::personal_data_erased);
  }
  CHECK(back.email.value_or("?") == "?");
  CHECK(personal<int>::erased_value() == back.age.value());
  CHECK(to_json_value(personal<int>::erased_value()).dump() == R"({"$erased":true})");
}

TEST_CASE("a personal field that is sealed or not marked is a decode error naming it",
          "[personal]") {
  auto expect_failure = [](const std::string& payload, const char* why) {
    try {
      codec::decode_as<signed_up>(stored(payload));
      FAIL("decoded");
    } catch (const decode_failed& e) {
      CHECK(e.field_path() == "email");
      CHECK_THAT(e.what(), Catch::Contains(why));
    }
  };
  expect_failure(R"({"user_id":1,"email":{"$sealed":"AQ"},"home":{"$erased":true}})",
                 "still encrypted");
  expect_failure(R"({"user_id":1,"email":"a@b.c","home":{"$erased":true}})",
                 "expected personal-data object");
  expect_failure(R"({"user_id":1,"email":{"x":1},"home":{"$erased":true}})",
                 "expected a personal-data object");
}

TEST_CASE("personal data cannot be encoded without a subject", "[personal]") {
  using other = event_codec<std::variant<no_subject>>;
  CHECK_THROWS_AS(other::encode(no_subject{std::string("a@b.c")}), invalid_argument);
  CHECK(other::encode(no_subject{std::string("a@b.c")}, event_metadata{.subject = "u-1"})
            .metadata.subject == "u-1");
  CHECK_THROWS_AS(codec::encode(signed_up{42, std::string("x"), address{}, std::nullopt},
                                event_metadata{.subject = "41"}),
                  invalid_argument);
}

TEST_CASE("personal<T> has its own schema fingerprint", "[personal]") {
  CHECK(schema_fingerprint<with_personal>() != schema_fingerprint<without>());
}
