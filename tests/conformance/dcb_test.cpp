// Conformance: tags, queries across streams and conditional appends (dynamic consistency
// boundaries, docs/dcb.md): the specification's behaviours, bad input, and racing appenders.
#include <fmt/format.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <thread>

#include "annal/error.hpp"
#include "annal/query.hpp"
#include "annal/store_admin.hpp"
#include "core/chain_check.hpp"
#include "support/commit_gate.hpp"
#include "support/process.hpp"
#include "support/store_fixture.hpp"

using namespace annal;
using annal::test::make_event;
using annal::test::store_fixture;

namespace {

event_data tagged(std::string type, std::vector<std::string> tags, int n = 0) {
  event_data e = make_event(std::move(type), n);
  e.tags = std::move(tags);
  return e;
}

std::vector<std::uint64_t> positions_of(const query_page& page) {
  std::vector<std::uint64_t> positions;
  for (const auto& e : page.events) positions.push_back(e.position);
  return positions;
}

using positions = std::vector<std::uint64_t>;

// The spec's example log: courses and students, some events in one stream, some in others.
//  1 course.defined [course:c1]          (stream course-c1)
//  2 course.defined [course:c2]          (stream course-c2)
//  3 student.subscribed [course:c1, student:s1]   (stream enrolment)
//  4 student.subscribed [course:c2, student:s1]   (stream enrolment)
//  5 student.subscribed [course:c1, student:s2]   (stream enrolment)
//  6 course.renamed [course:c1]          (stream course-c1)
//  7 note.taken []                       (stream notes)
void append_example(event_store& s) {
  s.append("course-c1", expected_version::no_stream(), tagged("course.defined", {"course:c1"}));
  s.append("course-c2", expected_version::no_stream(), tagged("course.defined", {"course:c2"}));
  s.append("enrolment", expected_version::any(),
           tagged("student.subscribed", {"student:s1", "course:c1"}));
  s.append("enrolment", expected_version::any(),
           tagged("student.subscribed", {"course:c2", "student:s1"}));
  s.append("enrolment", expected_version::any(),
           tagged("student.subscribed", {"course:c1", "student:s2"}));
  s.append("course-c1", expected_version::any(), tagged("course.renamed", {"course:c1"}));
  s.append("notes", expected_version::any(), make_event("note.taken"));
}

}  // namespace

TEST_CASE("tags are stored as a set and read back sorted by every read", "[dcb]") {
  store_fixture f;
  f.store().append("s", expected_version::any(), tagged("t", {"zeta", "alpha", "mid"}));
  f.store().append("s", expected_version::any(), make_event("t"));
  std::vector<std::string> sorted{"alpha", "mid", "zeta"};
  for (int pass = 0; pass < 2; ++pass) {
    auto& s = pass == 0 ? f.store() : f.reopen();
    auto stream = s.read_stream("s");
    REQUIRE(stream.size() == 2);
    CHECK(stream[0].tags == sorted);
    CHECK(stream[1].tags.empty());
    CHECK(s.read_all(1, 10).events[0].tags == sorted);
    CHECK(s.read_events(query::of({{.tags = {"mid"}}})).events.at(0).tags == sorted);
  }
}

TEST_CASE("a query reads the events of its types OR'd, tags AND'd, items OR'd", "[dcb]") {
  store_fixture f;
  auto& s = f.store();
  append_example(s);
  auto read = [&](std::vector<query_item> items) {
    return positions_of(s.read_events(query::of(std::move(items))));
  };
  CHECK(read({{.types = {"course.defined"}}}) == positions{1, 2});
  CHECK(read({{.types = {"course.defined", "course.renamed"}}}) == positions{1, 2, 6});
  CHECK(read({{.tags = {"course:c1"}}}) == positions{1, 3, 5, 6});
  CHECK(read({{.tags = {"course:c1", "student:s1"}}}) == positions{3});
  CHECK(read({{.types = {"student.subscribed"}, .tags = {"student:s1"}}}) == positions{3, 4});
  CHECK(read({{.types = {"course.renamed"}, .tags = {"student:s1"}}}).empty());
  // Items are OR'd, and an event matching two items comes back once.
  CHECK(read({{.types = {"course.defined"}, .tags = {"course:c1"}},
              {.types = {"student.subscribed"}, .tags = {"student:s1"}},
              {.tags = {"course:c1"}}}) == positions{1, 3, 4, 5, 6});
  // Tags match whole and exactly; unknown tags and types match nothing.
  CHECK(read({{.tags = {"course:c"}}}).empty());
  CHECK(read({{.tags = {"Course:c1"}}}).empty());
  CHECK(read({{.types = {"nothing.happened"}}}).empty());
  // The stream's implicit tag, alone and with others.
  CHECK(read({{.tags = {stream_tag("course-c1")}}}) == positions{1, 6});
  CHECK(read({{.types = {"course.renamed"}, .tags = {stream_tag("course-c1")}}}) == positions{6});
  CHECK(read({{.tags = {stream_tag("enrolment"), "student:s2"}}}) == positions{5});
  CHECK(read({{.tags = {stream_tag("course-c1"), stream_tag("course-c2")}}}).empty());
  CHECK(read({{.tags = {stream_tag("no-such-stream")}}}).empty());
  // all() reads every event, untagged ones too.
  CHECK(positions_of(s.read_events(query::all())) == positions{1, 2, 3, 4, 5, 6, 7});
  // Every returned event is whole, with all its tags.
  auto page = s.read_events(query::of({{.tags = {"student:s2"}}}));
  REQUIRE(page.events.size() == 1);
  CHECK(page.events[0].stream_id == "enrolment");
  CHECK(page.events[0].type == "student.subscribed");
  CHECK(page.events[0].tags == std::vector<std::string>{"course:c1", "student:s2"});
  CHECK(page.events[0].payload == make_event("x", 0).payload);
}

TEST_CASE("reads start after a position, page by a count and say what head they saw", "[dcb]") {
  store_fixture f;
  auto& s = f.store();
  append_example(s);
  auto c1 = query::of({{.tags = {"course:c1"}}});
  CHECK(positions_of(s.read_events(c1, 3)) == positions{5, 6});
  CHECK(positions_of(s.read_events(c1, 5)) == positions{6});
  CHECK(s.read_events(c1, 6).events.empty());
  CHECK(s.read_events(c1, 100).events.empty());
  // Paging with the last position read returns each event once.
  positions all;
  std::uint64_t after = 0;
  for (;;) {
    auto page = s.read_events(c1, after, 1);
    if (page.events.empty()) break;
    CHECK(page.events.size() == 1);
    all.push_back(page.events[0].position);
    after = page.events[0].position;
  }
  CHECK(all == positions{1, 3, 5, 6});
  CHECK(s.read_events(c1).read_up_to == 7);
  CHECK(s.read_events(query::of({{.tags = {"unknown"}}})).read_up_to == 7);
  CHECK_THROWS_AS(s.read_events(c1, 0, 0), invalid_argument);
}

TEST_CASE("a conditional append fails when a matching event follows its position", "[dcb]") {
  store_fixture f;
  auto& s = f.store();
  append_example(s);
  auto c1 = query::of({{.tags = {"course:c1"}}});
  auto next = tagged("student.subscribed", {"course:c1", "student:s3"});

  SECTION("no position: any matching event fails it (the uniqueness pattern)") {
    try {
      s.append("enrolment", expected_version::any(), next, {c1, 0});
      FAIL("the append should have failed");
    } catch (const append_condition_failed& e) {
      CHECK(e.after() == 0);
      CHECK(e.conflicting_position() == 1);
    }
    CHECK(s.head_position() == 7);
    // A query nothing matches lets it through.
    auto r = s.append("enrolment", expected_version::any(), next,
                      {query::of({{.tags = {"course:c9"}}}), 0});
    CHECK(r.written);
    CHECK(r.first_position == 8);
  }
  SECTION("the position is exclusive") {
    CHECK_THROWS_AS(s.append("enrolment", expected_version::any(), next, {c1, 5}),
                    append_condition_failed);
    auto r = s.append("enrolment", expected_version::any(), next, {c1, 6});
    CHECK(r.first_position == 8);
  }
  SECTION("events that do not match never fail it, wherever they are") {
    auto r = s.append("enrolment", expected_version::any(), next,
                      {query::of({{.types = {"course.renamed"}}}), 6});
    CHECK(r.written);
  }
  SECTION("any one item matching fails it, naming the first conflict") {
    try {
      s.append("enrolment", expected_version::any(), next,
               {query::of(
                    {{.tags = {"student:s9"}}, {.types = {"note.taken"}}, {.tags = {"course:c2"}}}),
                3});
      FAIL("the append should have failed");
    } catch (const append_condition_failed& e) {
      CHECK(e.after() == 3);
      CHECK(e.conflicting_position() == 4);
    }
  }
  SECTION("all() fails exactly when anything follows the position") {
    CHECK_THROWS_AS(s.append("enrolment", expected_version::any(), next, {query::all(), 6}),
                    append_condition_failed);
    CHECK(s.append("enrolment", expected_version::any(), next, {query::all(), 7}).written);
  }
  SECTION("the batch's own events do not count against it") {
    auto q = query::of({{.tags = {"course:c7"}}});
    std::vector<event_data> batch{tagged("course.defined", {"course:c7"}),
                                  tagged("course.renamed", {"course:c7"})};
    auto r = s.append("course-c7", expected_version::no_stream(), batch, {q, 0});
    CHECK(r.last_position == 9);
    // Now they do.
    CHECK_THROWS_AS(s.append("course-c7", expected_version::any(),
                             tagged("course.renamed", {"course:c7"}), {q, 7}),
                    append_condition_failed);
  }
  SECTION("a position beyond the head is refused, nothing written") {
    CHECK_THROWS_WITH(s.append("enrolment", expected_version::any(), next, {c1, 8}),
                      Catch::Contains("beyond the head"));
    CHECK(s.head_position() == 7);
  }
  SECTION("the stream's expected version and the condition are both checked") {
    CHECK_THROWS_AS(s.append("enrolment", expected_version::exact(2), next,
                             {query::of({{.tags = {"course:c9"}}}), 0}),
                    wrong_expected_version);
    CHECK_THROWS_AS(s.append("enrolment", expected_version::exact(3), next, {c1, 0}),
                    append_condition_failed);
    CHECK(s.append("enrolment", expected_version::exact(3), next, {c1, 7}).written);
  }
}

TEST_CASE("conditions and stream appends share one log", "[dcb]") {
  store_fixture f;
  auto& s = f.store();
  // A decision over a stream, by its implicit tag.
  auto order = query::of({{.tags = {stream_tag("order-1")}}});
  auto seen = s.read_events(order).read_up_to;
  s.append("order-1", expected_version::any(), make_event("order.placed"));
  CHECK_THROWS_AS(
      s.append("audit", expected_version::any(), make_event("order.checked"), {order, seen}),
      append_condition_failed);
  // A stream append after a conditional one sees its version.
  s.append("order-1", expected_version::exact(1), tagged("order.shipped", {"customer:c1"}),
           {query::of({{.tags = {"customer:c1"}}}), 0});
  CHECK_THROWS_AS(s.append("order-1", expected_version::exact(1), make_event("order.paid")),
                  wrong_expected_version);
  CHECK(s.stream_version("order-1") == 2);
}

TEST_CASE("a conditional append without a stream goes to the DCB stream", "[dcb]") {
  store_fixture f;
  auto& s = f.store();
  auto name = query::of({{.tags = {"username:ada"}}});
  auto first = s.append(tagged("user.registered", {"username:ada"}), {name, 0});
  CHECK(first.written);
  CHECK(first.next_expected_version == 1);
  std::vector<event_data> batch{tagged("user.registered", {"username:bo"}), make_event("t")};
  CHECK(s.append(batch, {query::of({{.tags = {"username:bo"}}}), 0}).next_expected_version == 3);
  // A retry of the same events is recognised, as for every append.
  CHECK_FALSE(s.append(batch, {query::of({{.tags = {"username:bo"}}}), 0}).written);
  CHECK_THROWS_AS(s.append(tagged("user.registered", {"username:ada"}), {name, 0}),
                  append_condition_failed);
  auto stream = s.read_stream(std::string(dcb_stream_id));
  REQUIRE(stream.size() == 3);
  CHECK(stream[0].tags == std::vector<std::string>{"username:ada"});
  CHECK(positions_of(s.read_events(query::of({{.tags = {stream_tag(dcb_stream_id)}}}))) ==
        positions{1, 2, 3});
}

TEST_CASE("a retry of a stored conditional append is recognised, not failed", "[dcb]") {
  store_fixture f;
  auto& s = f.store();
  auto q = query::of({{.tags = {"username:ada"}}});
  auto claim = tagged("user.registered", {"username:ada"});
  auto first = s.append("user-1", expected_version::no_stream(), claim, {q, 0});
  CHECK(first.written);
  // The same batch again: its own event now matches the condition, but it is a retry.
  auto again = s.append("user-1", expected_version::no_stream(), claim, {q, 0});
  CHECK_FALSE(again.written);
  CHECK(again.first_position == first.first_position);
  // Another claim of the name fails.
  CHECK_THROWS_AS(s.append("user-2", expected_version::no_stream(),
                           tagged("user.registered", {"username:ada"}), {q, 0}),
                  append_condition_failed);
  CHECK(s.head_position() == 1);
}

TEST_CASE("recorded events keep their tags, as an import copies them", "[dcb][recorded]") {
  store_fixture from;
  from.store().append("s", expected_version::any(),
                      std::vector{tagged("t", {"zeta", "alpha"}), make_event("u", 1)});
  auto events = read_stored_log(from.store(), 1, 10).events;
  store_fixture to;
  append_recorded(to.store(), events);
  for (int pass = 0; pass < 2; ++pass) {
    auto& s = pass == 0 ? to.store() : to.reopen();
    auto copied = s.read_all(1, 10).events;
    REQUIRE(copied.size() == 2);
    CHECK(copied[0].tags == std::vector<std::string>{"alpha", "zeta"});
    CHECK(copied[1].tags.empty());
    CHECK(positions_of(s.read_events(query::of({{.tags = {"zeta"}}}))) == positions{1});
  }
}

TEST_CASE("any stream, however long its id, is the query of its tag", "[dcb]") {
  store_fixture f;
  std::string id(max_stream_id_size, 's');
  f.store().append(id, expected_version::any(), make_event("t"));
  auto q = query::of({{.tags = {stream_tag(id)}}});
  CHECK(positions_of(f.store().read_events(q)) == positions{1});
  CHECK_THROWS_AS(f.store().append(id, expected_version::any(), make_event("t"), {q, 0}),
                  append_condition_failed);
}

TEST_CASE("erasing a tagged event drops its tags and keeps the chain", "[dcb]") {
  store_fixture f;
  auto& s = f.store();
  s.append("user-1", expected_version::no_stream(),
           tagged("user.registered", {"email:ada@example.com"}));
  s.append("user-2", expected_version::no_stream(), tagged("user.registered", {"email:bo@x"}));
  // About 90 KB: the small-segment suite seals the segment holding both users, so that the
  // segment log's scavenge rewrites it.
  for (int k = 0; k < 40; ++k) {
    s.append("filler", expected_version::any(), annal::test::make_padded_events(15));
  }
  s.delete_stream("user-1", expected_version::any());
  if (scavenge(s).events_deferred > 0) {
    // The segment log erases its active segment's events at a later scavenge, after its seal.
    CHECK(annal::test::backend_under_test() == "segment");
    return;
  }
  auto ada = query::of({{.tags = {"email:ada@example.com"}}});
  CHECK(s.read_events(ada).events.empty());
  auto stored = read_stored_log(s, 1, 1).events;
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].tags.empty());
  CHECK(positions_of(s.read_events(query::of({{.tags = {"email:bo@x"}}}))) == positions{2});
  CHECK(detail::check_chain(s).ok());
  // The name is free again: a condition on it holds from the start.
  CHECK(s.append("user-3", expected_version::no_stream(),
                 tagged("user.registered", {"email:ada@example.com"}), {ada, 0})
            .written);
}

TEST_CASE("a condition the backend cannot evaluate fails only its own append in a commit group",
          "[dcb][bad_input][concurrency]") {
  // The blocker takes the first commit group; the two appends below then queue into the next one
  // on backends that group commits. The first names a type that is not UTF-8: a query SQLite
  // evaluates (no event matches) and PostgreSQL cannot (its text must be UTF-8), which aborts
  // the group's transaction there; the second, valid, must still land.
  annal::test::commit_gate gate;
  store_fixture f(gate.hooks());
  auto& s = f.store();
  std::optional<append_result> odd_result;
  std::optional<errc> odd_error;
  std::optional<append_result> valid_result;
  std::optional<errc> valid_error;
  std::vector<std::thread> threads;
  threads.emplace_back([&] { s.append("blocker", expected_version::any(), make_event()); });
  gate.wait_until_held();
  threads.emplace_back([&] {
    try {
      odd_result = s.append("a", expected_version::any(), make_event("t"),
                            {query::of({{.types = {"caf\xe9"}}}), 0});
    } catch (const error& e) {
      odd_error = e.code();
    }
  });
  gate.wait_until_queued(2);
  threads.emplace_back([&] {
    try {
      valid_result = s.append("b", expected_version::any(), tagged("t", {"name:b"}),
                              {query::of({{.tags = {"name:b"}}}), 0});
    } catch (const error& e) {
      valid_error = e.code();
    }
  });
  gate.wait_until_queued(3);
  gate.release();
  for (auto& t : threads) t.join();
  CHECK_FALSE(valid_error);
  REQUIRE(valid_result);
  CHECK(valid_result->written);
  // Evaluated (no match) or refused as bad input; never another append's failure.
  CHECK((odd_result || odd_error == errc::invalid_argument));
}

TEST_CASE("bad tags are refused and nothing is written", "[dcb][bad_input]") {
  store_fixture f;
  auto& s = f.store();
  std::vector<std::string> too_many;
  for (std::size_t i = 0; i <= max_tags_per_event; ++i) too_many.push_back("t" + std::to_string(i));
  std::vector<std::vector<std::string>> bad{
      too_many,
      {std::string(max_tag_size + 1, 'x')},
      {""},
      {"stream:order-1"},
      {"$mine"},
      {"same", "same"},
      {std::string("a\0b", 3)},
      {"\xc3\x28"},
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    CAPTURE(i);
    std::vector<event_data> batch{make_event("t"), tagged("t", bad[i])};
    CHECK_THROWS_AS(s.append("s", expected_version::any(), batch), invalid_argument);
  }
  CHECK(s.head_position() == 0);
  CHECK(s.read_events(query::all()).events.empty());
}

TEST_CASE("racing appenders of one condition: exactly one wins; disjoint ones all land",
          "[dcb][concurrency]") {
  store_fixture f;
  auto& s = f.store();
  constexpr int racers = 16;
  std::atomic<int> won{0};
  std::atomic<int> refused{0};
  std::atomic<int> other_errors{0};
  std::vector<std::thread> threads;
  // All claim the same name, each having seen the empty log.
  for (int i = 0; i < racers; ++i) {
    threads.emplace_back([&, i] {
      try {
        s.append("user-" + std::to_string(i), expected_version::no_stream(),
                 tagged("user.registered", {"username:bob"}),
                 {query::of({{.tags = {"username:bob"}}}), 0});
        ++won;
      } catch (const append_condition_failed&) {
        ++refused;
      } catch (...) {
        ++other_errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  threads.clear();
  CHECK(won == 1);
  CHECK(refused == racers - 1);
  CHECK(other_errors == 0);
  // Each claims its own name, having seen the same head: no false conflicts.
  std::uint64_t seen = s.head_position();
  won = 0;
  for (int i = 0; i < racers; ++i) {
    threads.emplace_back([&, i] {
      try {
        std::string name = "username:u" + std::to_string(i);
        s.append("member-" + std::to_string(i), expected_version::no_stream(),
                 tagged("user.registered", {name}), {query::of({{.tags = {name}}}), seen});
        ++won;
      } catch (...) {
        ++other_errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(won == racers);
  CHECK(other_errors == 0);
  CHECK(s.head_position() == 1 + racers);
}

TEST_CASE("processes racing to fill a course: exactly its capacity lands, each name once",
          "[dcb][concurrency][processes]") {
  // One directory, one writer process: the segment log has no second process to race.
  if (annal::test::backend_under_test() == "segment") return;
  // Forked before this process opens a store (a store's threads must not run at a fork).
  annal::test::temp_dir dir;
  const std::string uri = annal::test::backend_uri(dir);
  open_store(uri).reset();  // the store exists before the children race to open it
  constexpr int children = 4;
  constexpr std::size_t capacity = 7;
  constexpr int names = 12;
  std::vector<std::unique_ptr<annal::test::process>> processes;
  for (int child = 0; child < children; ++child) {
    processes.push_back(std::make_unique<annal::test::process>([&, child](annal::test::process&) {
      auto store = open_store(uri);
      auto course = query::of({{.types = {"student.enrolled"}, .tags = {"course:c1"}}});
      // Enrol this child's students until the course is full: read, decide, append on the
      // position read, and on a conflict read again.
      for (int student = 0;; ++student) {
        auto seen = store->read_events(course);
        if (seen.events.size() >= capacity) break;
        std::string id = fmt::format("student:{}-{}", child, student);
        try {
          store->append(id, expected_version::no_stream(),
                        tagged("student.enrolled", {"course:c1", id}), {course, seen.read_up_to});
        } catch (const append_condition_failed&) {
          continue;
        }
      }
      // Then claim every name once, each having read that it is free.
      for (int n = 0; n < names; ++n) {
        std::string name = "username:n" + std::to_string(n);
        auto claim = query::of({{.tags = {name}}});
        auto seen = store->read_events(claim);
        if (!seen.events.empty()) continue;
        try {
          store->append(fmt::format("user-{}-{}", child, n), expected_version::no_stream(),
                        tagged("user.registered", {name}), {claim, seen.read_up_to});
        } catch (const append_condition_failed&) {
        }
      }
    }));
  }
  for (auto& p : processes) CHECK(p->finish() == 0);
  {
    auto store = open_store(uri);
    auto enrolled =
        store->read_events(query::of({{.types = {"student.enrolled"}, .tags = {"course:c1"}}}));
    CHECK(enrolled.events.size() == capacity);
    for (int n = 0; n < names; ++n) {
      auto claimed = store->read_events(query::of({{.tags = {"username:n" + std::to_string(n)}}}));
      CHECK(claimed.events.size() == 1);
    }
    CHECK(store->head_position() == capacity + names);
  }
  if (annal::test::backend_under_test() == "postgres") annal::test::drop_postgres_schema(uri);
}
