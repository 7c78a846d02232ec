// Queries across streams: the matching rule every backend's index must agree with, the normal
// form, and the limits on tags and queries.
#include "annal/query.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "annal/error.hpp"
#include "annal/event_store.hpp"

using namespace annal;

namespace {

recorded_event event(std::string stream, std::string type, std::vector<std::string> tags) {
  recorded_event e;
  e.stream_id = std::move(stream);
  e.type = std::move(type);
  e.tags = std::move(tags);
  return e;
}

}  // namespace

TEST_CASE("types are OR'd, tags AND'd, items OR'd", "[query]") {
  auto a_t1 = event("s", "A", {"t1"});
  auto a_t1_t2 = event("s", "A", {"t1", "t2"});
  auto b_t2 = event("s", "B", {"t2"});
  auto c = event("s", "C", {});

  auto only_a = query::of({{.types = {"A"}}});
  CHECK(only_a.matches(a_t1));
  CHECK_FALSE(only_a.matches(b_t2));

  auto a_or_b = query::of({{.types = {"A", "B"}}});
  CHECK(a_or_b.matches(a_t1));
  CHECK(a_or_b.matches(b_t2));
  CHECK_FALSE(a_or_b.matches(c));

  auto t1 = query::of({{.tags = {"t1"}}});
  CHECK(t1.matches(a_t1));
  CHECK(t1.matches(a_t1_t2));
  CHECK_FALSE(t1.matches(b_t2));
  CHECK_FALSE(t1.matches(c));  // an untagged event never matches an item with tags

  auto t1_and_t2 = query::of({{.tags = {"t1", "t2"}}});
  CHECK(t1_and_t2.matches(a_t1_t2));
  CHECK_FALSE(t1_and_t2.matches(a_t1));

  auto typed_and_tagged = query::of({{.types = {"A", "B"}, .tags = {"t2"}}});
  CHECK(typed_and_tagged.matches(a_t1_t2));
  CHECK(typed_and_tagged.matches(b_t2));
  CHECK_FALSE(typed_and_tagged.matches(a_t1));

  auto union_of_two = query::of({{.types = {"C"}}, {.tags = {"t1"}}});
  CHECK(union_of_two.matches(c));
  CHECK(union_of_two.matches(a_t1));
  CHECK_FALSE(union_of_two.matches(b_t2));
  CHECK((only_a | query::of({{.types = {"C"}}})).matches(c));
}

TEST_CASE("an empty query, or an item with neither types nor tags, matches every event",
          "[query]") {
  CHECK(query().matches_all());
  CHECK(query::all().matches(event("s", "A", {})));
  CHECK(query::of({}).matches_all());
  auto with_empty_item = query::of({{.types = {"A"}}, {}});
  CHECK(with_empty_item.matches_all());
  CHECK(with_empty_item.matches(event("s", "Z", {"x"})));
  // all() absorbs.
  CHECK((query::all() | query::of({{.types = {"A"}}})).matches_all());
  auto q = query::all();
  q.or_item({.types = {"A"}});
  CHECK(q.matches_all());
}

TEST_CASE("tags match bytewise, and the stream's tag is implicit", "[query]") {
  auto e = event("course-1", "enrolled", {"course:1", "student:7"});
  CHECK_FALSE(query::of({{.tags = {"course:10"}}}).matches(e));
  CHECK_FALSE(query::of({{.tags = {"Course:1"}}}).matches(e));
  CHECK(query::of({{.tags = {stream_tag("course-1")}}}).matches(e));
  CHECK(query::of({{.tags = {stream_tag("course-1"), "student:7"}}}).matches(e));
  CHECK_FALSE(query::of({{.tags = {stream_tag("course-10")}}}).matches(e));
  CHECK_FALSE(query::of({{.tags = {stream_tag("course")}}}).matches(e));
  CHECK(stream_tag("order-7") == "stream:order-7");
}

TEST_CASE("queries are kept in normal form", "[query]") {
  auto q = query::of({{.types = {"B", "A", "B"}, .tags = {"y", "x", "y"}},
                      {.types = {"A", "B"}, .tags = {"x", "y"}}});
  REQUIRE(q.items().size() == 1);
  CHECK(q.items()[0].types == std::vector<std::string>{"A", "B"});
  CHECK(q.items()[0].tags == std::vector<std::string>{"x", "y"});
  CHECK(q == query::of({{.types = {"A", "B"}, .tags = {"x", "y"}}}));
}

TEST_CASE("tags and queries beyond their limits are refused, naming the limit", "[query]") {
  CHECK_NOTHROW(validate_tag(std::string(max_tag_size, 't')));
  CHECK_THROWS_WITH(validate_tag(std::string(max_tag_size + 1, 't')),
                    Catch::Contains("257 bytes long; the limit is 256"));
  CHECK_THROWS_WITH(validate_tag(""), Catch::Contains("a tag is empty"));
  CHECK_THROWS_WITH(validate_tag(std::string("a\0b", 3)), Catch::Contains("NUL"));
  CHECK_THROWS_WITH(validate_tag("\xff"), Catch::Contains("not valid UTF-8"));
  CHECK_THROWS_WITH(validate_tag("$mine"), Catch::Contains("annal's own"));
  CHECK_THROWS_WITH(validate_tag("stream:order-7"), Catch::Contains("implicitly"));
  CHECK_NOTHROW(validate_tag("stream:order-7", true));

  CHECK_THROWS_AS(query::of(std::vector<query_item>(max_query_items + 1, {.types = {"A"}})),
                  invalid_argument);
  query_item many_types;
  for (std::size_t i = 0; i <= max_item_types; ++i) many_types.types.push_back(std::to_string(i));
  CHECK_THROWS_WITH(query::of({many_types}), Catch::Contains("types; the limit is 64"));
  query_item many_tags;
  for (std::size_t i = 0; i <= max_tags_per_event; ++i) {
    many_tags.tags.push_back("t" + std::to_string(i));
  }
  CHECK_THROWS_WITH(query::of({many_tags}), Catch::Contains("tags; the limit is 32"));
  CHECK_THROWS_WITH(query::of({{.types = {""}}}), Catch::Contains("event type is empty"));
  CHECK_THROWS_WITH(query::of({{.tags = {"$x"}}}), Catch::Contains("annal's own"));
  // A query item may name a stream's implicit tag, for any stream id a store accepts.
  CHECK_NOTHROW(query::of({{.tags = {stream_tag("order-7")}}}));
  CHECK_NOTHROW(query::of({{.tags = {stream_tag(std::string(256, 's'))}}}));
  CHECK_NOTHROW(query::of({{.tags = {stream_tag("\xff")}}}));
  CHECK_THROWS_AS(query::of({{.tags = {stream_tag(std::string(257, 's'))}}}), invalid_argument);
  CHECK_THROWS_AS(query::of({{.tags = {stream_tag("")}}}), invalid_argument);
  // Every item is validated, also after one that matches everything.
  CHECK_THROWS_AS(query::of({{}, {.tags = {""}}}), invalid_argument);
}
