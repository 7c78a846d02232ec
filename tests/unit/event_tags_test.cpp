// Tests of typed events' tags: tag_fields read from the encoded payload, or a tags() function.
#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "annal/codec.hpp"
#include "annal/error.hpp"
#include "annal/uuid.hpp"

namespace school {

enum class level { beginner, advanced };

struct student_subscribed {
  static constexpr std::string_view type = "student.subscribed";
  static constexpr std::array tag_fields = {std::string_view("course=course_id"),
                                            std::string_view("student=student_id")};
  std::string course_id;
  std::int64_t student_id;
  std::string note;
};

struct course_defined {
  static constexpr std::string_view type = "course.defined";
  static constexpr std::array tag_fields = {
      std::string_view("course=id"), std::string_view("level=difficulty"),
      std::string_view("teacher"), std::string_view("room=rooms"), std::string_view("owner")};
  std::string id;
  level difficulty;
  std::optional<std::string> teacher;
  std::vector<std::int32_t> rooms;
  annal::uuid owner;
};

struct course_renamed {
  static constexpr std::string_view type = "course.renamed";
  std::string course_id;
  std::string name;
};

// Tags computed by a function found by argument-dependent lookup.
std::vector<std::string> tags(const course_renamed& e) {
  return {"course:" + e.course_id, "renamed", "course:" + e.course_id};
}

struct untagged {
  static constexpr std::string_view type = "untagged";
  std::string course_id;
};

using event = std::variant<student_subscribed, course_defined, course_renamed, untagged>;

}  // namespace school

using codec = annal::event_codec<school::event>;

TEST_CASE("tag fields become prefix:value tags of the encoded values, sorted", "[codec][tags]") {
  auto data = codec::encode(school::student_subscribed{"c1", 42, "hello"});
  CHECK(data.tags == std::vector<std::string>{"course:c1", "student:42"});
  // The payload is unchanged by the tags.
  CHECK(data.payload == R"({"course_id":"c1","student_id":42,"note":"hello"})");
}

TEST_CASE("enums, optionals, vectors and uuids give their encoded text, one tag per element",
          "[codec][tags]") {
  annal::uuid owner = annal::uuid::v7();
  auto data = codec::encode(
      school::course_defined{"c1", school::level::advanced, "ada", {101, 7, 101}, owner});
  CHECK(data.tags == std::vector<std::string>{"course:c1", "level:advanced",
                                              "owner:" + owner.to_string(), "room:101", "room:7",
                                              "teacher:ada"});
  auto no_teacher =
      codec::encode(school::course_defined{"c2", school::level::beginner, {}, {}, owner});
  CHECK(no_teacher.tags ==
        std::vector<std::string>{"course:c2", "level:beginner", "owner:" + owner.to_string()});
}

TEST_CASE("a tags() function found by argument-dependent lookup gives a set", "[codec][tags]") {
  auto data = codec::encode(school::course_renamed{"c1", "Algebra"});
  CHECK(data.tags == std::vector<std::string>{"course:c1", "renamed"});
}

TEST_CASE("an event that declares no tags has none", "[codec][tags]") {
  CHECK(codec::encode(school::untagged{"c1"}).tags.empty());
}

TEST_CASE("an empty tag field is refused, naming the type and field", "[codec][tags][bad_input]") {
  try {
    codec::encode(school::student_subscribed{"", 1, ""});
    FAIL("encoded");
  } catch (const annal::invalid_argument& e) {
    CHECK_THAT(e.what(), Catch::Contains("'student.subscribed'"));
    CHECK_THAT(e.what(), Catch::Contains("tag field 'course_id' is empty"));
  }
}
