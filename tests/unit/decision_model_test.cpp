// Decision models: several projections read with one query, each event folded into the parts it
// matches, and the conditional append with its retries on conflicts.
#include "annal/decision_model.hpp"

#include <catch2/catch.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "annal/open_store.hpp"
#include "annal/store_admin.hpp"
#include "support/temp_dir.hpp"

using namespace annal;

namespace courses {

struct course_defined {
  static constexpr std::string_view type = "course.defined";
  std::string course;
  int capacity = 0;
};
struct student_subscribed {
  static constexpr std::string_view type = "student.subscribed";
  std::string student;
  std::string course;
};
using course_event = std::variant<course_defined, student_subscribed>;
using student_event = std::variant<student_subscribed>;

struct course {
  bool defined = false;
  int capacity = 0;
  int subscribers = 0;
};
course apply(course c, const course_defined& e) {
  c.defined = true;
  c.capacity = e.capacity;
  return c;
}
course apply(course c, const student_subscribed&) {
  ++c.subscribers;
  return c;
}

struct student {
  std::vector<std::string> courses;
};
student apply(student s, const student_subscribed& e) {
  s.courses.push_back(e.course);
  return s;
}

struct course_full : std::runtime_error {
  course_full() : std::runtime_error("the course is full") {}
};

}  // namespace courses

// An earlier release called the definition "course.created".
template <>
struct annal::upcasters_of<courses::course_event>
    : annal::upcasters<annal::rename<"course.created", "course.defined">> {};

namespace {

using namespace courses;

// Forwards to a SQLite store and counts the reads of queries and the conditions of appends.
// Used on the test thread only.
class counting_store final : public event_store {
 public:
  explicit counting_store(event_store& inner) : inner_(inner) { set_stores_tags(); }
  ~counting_store() override { close(); }

  std::vector<std::uint64_t> reads_after;  // the `after` of each read_events()
  std::vector<query> queries;              // the query of each read_events()
  std::vector<append_condition> conditions;

 private:
  append_result do_append(std::string_view stream_id, expected_version expected,
                          std::span<const event_data> events) override {
    return inner_.append(stream_id, expected, events);
  }
  std::vector<recorded_event> do_read_stream(std::string_view stream_id, std::uint64_t from_version,
                                             read_direction direction,
                                             std::size_t max_count) override {
    return inner_.read_stream(stream_id, from_version, direction, max_count);
  }
  log_slice do_read_all(std::uint64_t from_position, std::size_t max_count,
                        const read_filter& filter) override {
    return inner_.read_all(from_position, max_count, filter);
  }
  append_result do_append_conditional(std::string_view stream_id, expected_version expected,
                                      std::span<const event_data> events,
                                      const append_condition& condition) override {
    conditions.push_back(condition);
    return inner_.append(stream_id, expected, events, condition);
  }
  query_page do_read_events(const query& q, std::uint64_t after, std::size_t max_count) override {
    reads_after.push_back(after);
    queries.push_back(q);
    return inner_.read_events(q, after, max_count);
  }
  std::uint64_t do_stream_version(std::string_view stream_id) override {
    return inner_.stream_version(stream_id);
  }
  std::uint64_t do_head_position() override { return inner_.head_position(); }
  append_result do_append_recorded(std::span<const recorded_event> events) override {
    return append_recorded(inner_, events);
  }
  std::vector<stream_summary> do_list_streams(std::string_view prefix, std::string_view after,
                                              std::size_t max_count) override {
    return list_streams(inner_, prefix, after, max_count);
  }
  store_description do_describe() override { return describe(inner_); }
  void do_close() override {}
  snapshot_store& do_snapshots() override { return inner_.snapshots(); }
  // The inner store seals and unseals personal data.
  detail::key_store* do_keys() override { return nullptr; }
  uuid do_store_id() override { return inner_.store_id(); }
  void do_adopt_store_id(const uuid& id) override { adopt_store_id(inner_, id); }

  event_store& inner_;
};

// A SQLite store in a temporary directory, seen through a counting_store.
struct decision_fixture {
  test::temp_dir dir;
  std::unique_ptr<event_store> sqlite = open_store("sqlite:" + dir.file("store.db"));
  counting_store store{*sqlite};
};

event_data defined(const std::string& course, int capacity) {
  return encode_tagged<course_event>(course_defined{course, capacity}, {"course:" + course});
}

event_data subscribed(const std::string& student, const std::string& course) {
  return encode_tagged<course_event>(student_subscribed{student, course},
                                     {"course:" + course, "student:" + student});
}

event_data note() {
  event_data e;
  e.type = "note.taken";
  e.payload = "{}";
  return e;
}

decision_projection<course> course_part(const std::string& id) {
  return tagged_projection<course, course_event>({"course:" + id});
}

decision_projection<student> student_part(const std::string& id) {
  return tagged_projection<student, student_event>({"student:" + id});
}

// A part of raw recorded events: the positions it folded.
decision_projection<std::vector<std::uint64_t>> positions_tagged(const std::string& tag) {
  return {query::of({{.types = {}, .tags = {tag}}}),
          {},
          [](std::vector<std::uint64_t> seen, const recorded_event& e) {
            seen.push_back(e.position);
            return seen;
          }};
}

using positions = std::vector<std::uint64_t>;

// The log of the tests below:
//  1 course.defined c1, capacity 3            [course:c1]
//  2 course.defined c2, capacity 1            [course:c2]
//  3 student.subscribed s1 to c1              [course:c1, student:s1]
//  4 note.taken                               []
//  5 student.subscribed s1 to c2              [course:c2, student:s1]
//  6 student.subscribed s2 to c1              [course:c1, student:s2]
void append_example(event_store& s) {
  s.append("course-c1", expected_version::no_stream(), defined("c1", 3));
  s.append("course-c2", expected_version::no_stream(), defined("c2", 1));
  s.append("student-s1", expected_version::any(), subscribed("s1", "c1"));
  s.append("notes", expected_version::any(), note());
  s.append("student-s1", expected_version::any(), subscribed("s1", "c2"));
  s.append("student-s2", expected_version::any(), subscribed("s2", "c1"));
}

// Subscribes `student` to `course` when the course has room; otherwise throws course_full.
decision subscribe(const course& c, const std::string& student, const std::string& course_id) {
  if (c.subscribers >= c.capacity) throw course_full();
  return {.stream_id = "student-" + student, .events = {subscribed(student, course_id)}};
}

}  // namespace

TEST_CASE("one read of the union query serves every part", "[decision_model]") {
  decision_fixture f;
  append_example(f.store);
  auto c1 = course_part("c1");
  auto s1 = student_part("s1");
  auto c2_raw = positions_tagged("course:c2");

  auto model = build_decision_model(f.store, c1, s1, c2_raw);

  CHECK(f.store.reads_after == positions{0});
  query expected_union = c1.matching() | s1.matching() | c2_raw.matching();
  REQUIRE(f.store.queries.size() == 1);
  CHECK(f.store.queries[0] == expected_union);
  CHECK(model.condition.fail_if_events_match == expected_union);
  CHECK(model.condition.after == 6);

  const auto& [course_c1, student_s1, c2_positions] = model.states;
  CHECK(course_c1.defined);
  CHECK(course_c1.capacity == 3);
  CHECK(course_c1.subscribers == 2);  // 3 and 6; not 5, which is c2's
  CHECK(student_s1.courses == std::vector<std::string>{"c1", "c2"});  // 3 and 5; not 6
  CHECK(c2_positions == positions{2, 5});
}

TEST_CASE("each event is folded into the parts whose query matches it, and only those",
          "[decision_model]") {
  decision_fixture f;
  append_example(f.store);

  SECTION("a part that nothing matches keeps its initial state") {
    auto [c9, s1] = build_decision_model(f.store, course_part("c9"), student_part("s1")).states;
    CHECK_FALSE(c9.defined);
    CHECK(c9.subscribers == 0);
    CHECK(s1.courses.size() == 2);
  }
  SECTION("two parts matching one event both fold it") {
    auto model = build_decision_model(f.store, positions_tagged("student:s1"),
                                      positions_tagged("course:c1"));
    CHECK(std::get<0>(model.states) == positions{3, 5});
    CHECK(std::get<1>(model.states) == positions{1, 3, 6});
  }
  SECTION("a typed part folds its types only, under their old names too") {
    event_data created = defined("c3", 5);
    created.type = "course.created";
    f.store.append("course-c3", expected_version::no_stream(), created);
    event_data other_type = note();
    other_type.tags = {"course:c3"};
    f.store.append("notes", expected_version::any(), other_type);

    auto c3 = course_part("c3");
    auto [course_c3] = build_decision_model(f.store, c3).states;
    CHECK(course_c3.defined);
    CHECK(course_c3.capacity == 5);
    CHECK_FALSE(
        c3.matching().matches("notes", "note.taken", std::vector<std::string>{"course:c3"}));
  }
  SECTION("a part's initial state is where its fold starts") {
    auto at_ten = tagged_projection<course, course_event>({"course:c1"}, course{.subscribers = 10});
    auto [c1] = build_decision_model(f.store, at_ten).states;
    CHECK(c1.subscribers == 12);
  }
}

TEST_CASE("a decision model reads every page of its query", "[decision_model]") {
  decision_fixture f;
  f.store.append("course-c1", expected_version::no_stream(), defined("c1", 5000));
  std::vector<event_data> batch;
  for (std::size_t i = 0; i < 2 * decision_page_size + 5; ++i) {
    batch.push_back(subscribed("s" + std::to_string(i), "c1"));
    batch.push_back(note());  // between the matching events: pages end at their last event
  }
  f.store.append("enrolment", expected_version::any(), batch);
  std::uint64_t head = f.store.head_position();

  auto [c1] = build_decision_model(f.store, course_part("c1")).states;
  CHECK(c1.subscribers == static_cast<int>(2 * decision_page_size + 5));
  // Subscription i is at position 2 + 2i. Pages of 1024 matching events: the definition and
  // subscriptions 0 to 1022, then 1023 to 2046, then the last 6.
  CHECK(f.store.reads_after == positions{0, 2 + 2 * 1022, 2 + 2 * 2046});
  CHECK(build_decision_model(f.store, course_part("c1")).condition.after == head);
}

TEST_CASE("decide_and_append appends under the union of the parts' queries", "[decision_model]") {
  decision_fixture f;
  append_example(f.store);
  auto c1 = course_part("c1");
  auto s3 = student_part("s3");

  auto result = decide_and_append(
      f.store, 3, [](const course& c, const student&) { return subscribe(c, "s3", "c1"); }, c1, s3);

  CHECK(result.attempts == 1);
  REQUIRE(result.appended);
  CHECK(result.appended->first_position == 7);
  CHECK(std::get<0>(result.states).subscribers == 2);  // the state decided on
  REQUIRE(f.store.conditions.size() == 1);
  CHECK(f.store.conditions[0].fail_if_events_match == (c1.matching() | s3.matching()));
  CHECK(f.store.conditions[0].after == 6);
  CHECK(std::get<0>(build_decision_model(f.store, c1).states).subscribers == 3);
  CHECK(f.store.read_stream("student-s3").size() == 1);
}

TEST_CASE(
    "a matching event between the read and the append is a conflict; the retry decides on "
    "the new state",
    "[decision_model]") {
  decision_fixture f;
  append_example(f.store);  // c1 has 2 of 3 seats taken
  std::vector<int> seen_subscribers;

  SECTION("the retry appends when there is still room") {
    f.store.append("course-c1", expected_version::any(), defined("c1", 4));  // 2 of 4 taken
    auto result = decide_and_append(
        f.store, 3,
        [&](const course& c, const student&) {
          seen_subscribers.push_back(c.subscribers);
          if (seen_subscribers.size() == 1) {
            f.store.append("student-s8", expected_version::any(), subscribed("s8", "c1"));
          }
          return subscribe(c, "s3", "c1");
        },
        course_part("c1"), student_part("s3"));
    CHECK(seen_subscribers == std::vector<int>{2, 3});
    CHECK(result.attempts == 2);
    CHECK(std::get<0>(result.states).subscribers == 3);
    REQUIRE(f.store.conditions.size() == 2);
    CHECK(f.store.conditions[0].after == 7);
    CHECK(f.store.conditions[1].after == 8);
    CHECK(std::get<0>(build_decision_model(f.store, course_part("c1")).states).subscribers == 4);
  }
  SECTION("the retry refuses when the course filled up meanwhile") {
    CHECK_THROWS_AS(decide_and_append(
                        f.store, 3,
                        [&](const course& c) {
                          seen_subscribers.push_back(c.subscribers);
                          if (seen_subscribers.size() == 1) {
                            f.store.append("student-s8", expected_version::any(),
                                           subscribed("s8", "c1"));
                          }
                          return subscribe(c, "s3", "c1");
                        },
                        course_part("c1")),
                    course_full);
    CHECK(seen_subscribers == std::vector<int>{2, 3});
    CHECK(f.store.read_stream("student-s3").empty());
  }
}

TEST_CASE("decide_and_append gives up after max_attempts with append_condition_failed",
          "[decision_model]") {
  decision_fixture f;
  f.store.append("course-c1", expected_version::no_stream(), defined("c1", 100));
  int runs = 0;
  auto conflicting_decide = [&](const course& c) {
    ++runs;
    f.store.append("student-x" + std::to_string(runs), expected_version::any(),
                   subscribed("x" + std::to_string(runs), "c1"));
    return subscribe(c, "s1", "c1");
  };

  CHECK_THROWS_AS(decide_and_append(f.store, 3, conflicting_decide, course_part("c1")),
                  append_condition_failed);
  CHECK(runs == 3);
  CHECK(f.store.read_stream("student-s1").empty());

  runs = 0;
  CHECK_THROWS_AS(decide_and_append(f.store, 1, conflicting_decide, course_part("c1")),
                  append_condition_failed);
  CHECK(runs == 1);
  CHECK_THROWS_AS(decide_and_append(f.store, 0, conflicting_decide, course_part("c1")),
                  invalid_argument);
  CHECK(runs == 1);
}

TEST_CASE("an event that no part matches does not cause a retry", "[decision_model]") {
  decision_fixture f;
  append_example(f.store);
  int runs = 0;
  auto result = decide_and_append(
      f.store, 3,
      [&](const course& c, const student&) {
        ++runs;
        // Another course, another student, and an untagged event: none is c1's or s3's.
        f.store.append("student-s9", expected_version::any(), subscribed("s9", "c2"));
        f.store.append("notes", expected_version::any(), note());
        return subscribe(c, "s3", "c1");
      },
      course_part("c1"), student_part("s3"));
  CHECK(runs == 1);
  CHECK(result.attempts == 1);
  REQUIRE(result.appended);
  CHECK(result.appended->first_position == 9);
}

TEST_CASE(
    "decide_and_append appends nothing for no events or a refusal, and retries only "
    "conflicts",
    "[decision_model]") {
  decision_fixture f;
  append_example(f.store);
  int runs = 0;

  SECTION("no events: nothing appended, no retry") {
    auto result = decide_and_append(
        f.store, 3,
        [&](const course&) {
          ++runs;
          return decision{};
        },
        course_part("c1"));
    CHECK(runs == 1);
    CHECK(result.attempts == 1);
    CHECK_FALSE(result.appended);
    CHECK(f.store.conditions.empty());
    CHECK(f.store.head_position() == 6);
  }
  SECTION("a refusal propagates at once") {
    CHECK_THROWS_AS(decide_and_append(
                        f.store, 3,
                        [&](const course&) -> decision {
                          ++runs;
                          throw course_full();
                        },
                        course_part("c2")),
                    course_full);
    CHECK(runs == 1);
    CHECK(f.store.head_position() == 6);
  }
  SECTION("a wrong expected version is not retried") {
    CHECK_THROWS_AS(decide_and_append(
                        f.store, 3,
                        [&](const course& c) {
                          ++runs;
                          decision d = subscribe(c, "s1", "c1");
                          d.expected = expected_version::no_stream();  // student-s1 has events
                          return d;
                        },
                        course_part("c1")),
                    wrong_expected_version);
    CHECK(runs == 1);
    CHECK(f.store.head_position() == 6);
  }
}

TEST_CASE("a decision_projection needs a fold", "[decision_model]") {
  CHECK_THROWS_AS(decision_projection<int>(query::all(), 0, {}), invalid_argument);
  CHECK_THROWS_AS((tagged_projection<course, course_event>({"$own"})), invalid_argument);
}

TEST_CASE("a decision that names no stream is appended to the DCB stream", "[decision_model]") {
  decision_fixture f;
  append_example(f.store);
  auto result = decide_and_append(
      f.store, 1,
      [](const course& c) {
        decision d;
        d.events = {subscribed("s9", "c1")};
        CHECK(c.subscribers == 2);
        return d;
      },
      course_part("c1"));
  REQUIRE(result.appended);
  CHECK(f.store.read_stream(std::string(dcb_stream_id)).size() == 1);
}
