// The PostgreSQL schema: append-only, migrated from older versions, refused when foreign or
// newer; data the server refuses is a clear error that writes nothing.
#include "postgres/schema.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "annal/error.hpp"
#include "annal/query.hpp"
#include "annal/store_admin.hpp"
#include "annal/verify.hpp"
#include "core/chain_check.hpp"
#include "core/store_uri.hpp"
#include "postgres/connection.hpp"
#include "support/store_fixture.hpp"

namespace annal {
namespace {

// A connection to the server of the store `uri` names, and its schema quoted for SQL.
struct admin {
  explicit admin(const std::string& uri)
      : parsed(detail::parse_store_uri(uri, {})),
        c(parsed.path),
        schema(pg::quote_identifier(parsed.options.postgres_schema)) {}
  detail::store_uri parsed;
  pg::connection c;
  std::string schema;
};

template <class F>
void check_refused(F&& f, const std::string& part_of_message) {
  try {
    f();
    FAIL("expected an exception with '" << part_of_message << "'");
  } catch (const std::exception& e) {
    CHECK_THAT(e.what(), Catch::Matchers::Contains(part_of_message));
  }
}

}  // namespace

TEST_CASE("stored events cannot be updated, deleted or truncated", "[postgres][schema]") {
  test::store_fixture f;
  f.store().append("s", expected_version::any(), test::make_events(3));
  admin a(f.uri());
  check_refused([&] { a.c.exec("UPDATE " + a.schema + ".events SET type = 'x'"); },
                "append-only: UPDATE refused");
  check_refused([&] { a.c.exec("DELETE FROM " + a.schema + ".events"); },
                "append-only: DELETE refused");
  check_refused([&] { a.c.exec("TRUNCATE " + a.schema + ".events"); },
                "append-only: TRUNCATE refused");
  check_refused(
      [&] {
        a.c.exec("INSERT INTO " + a.schema +
                 ".events SELECT position + 10, stream_id, stream_version, type, event_id, "
                 "recorded_at, metadata, payload, payload_bytes FROM " +
                 a.schema + ".events WHERE position = 1");
      },
      "events_stream_version");
  CHECK(f.store().read_all(1, 10).events.size() == 3);
}

TEST_CASE("the append-only trigger lets through only the erasure of a user's event",
          "[postgres][schema]") {
  test::store_fixture f;
  f.store().append("s", expected_version::any(), test::make_events(2));
  f.store().delete_stream("s", expected_version::any());
  admin a(f.uri());
  std::string events = a.schema + ".events";
  for (const char* change : {"stream_version = 9", "recorded_at = now() - interval '1 day'",
                             "event_id = gen_random_uuid()", "position = 99"}) {
    CAPTURE(change);
    check_refused(
        [&] {
          a.c.exec("UPDATE " + events + " SET type = '$erased', " + change + " WHERE position = 1");
        },
        "append-only: UPDATE refused");
  }
  // annal's own events (here the deletion event) are never erased.
  check_refused([&] { a.c.exec("UPDATE " + events + " SET type = '$erased' WHERE position = 3"); },
                "append-only: UPDATE refused");
  a.c.exec("UPDATE " + events + " SET type = '$erased', payload = '{}' WHERE position = 1");
  CHECK(f.store().read_all(1, 1).events.at(0).type == "$erased");
}

TEST_CASE("a version 1 schema is migrated in place, keeping its events", "[postgres][schema]") {
  test::temp_dir dir;
  std::string uri = test::backend_uri(dir);
  {
    admin a(uri);
    pg::open_schema(a.c, a.parsed.options.postgres_schema, 1);
    CHECK(a.c.query(("SELECT to_regclass('" + a.schema + ".snapshots')::text").c_str())
              .is_null(0, 0));
  }
  auto store = open_store(uri);
  CHECK(describe(*store).format_version == pg::schema_version);
  store->append("s", expected_version::no_stream(), test::make_events(2));
  snapshot s{"s", 2, 2, "test", 7, snapshot_encoding::json, "{}", {}};
  store->snapshots().save(s, 1);
  CHECK(store->snapshots().count() == 1);
  store.reset();
  test::drop_postgres_schema(uri);
}

TEST_CASE("a version 2 schema gains a store identity, keeping its events", "[postgres][schema]") {
  test::temp_dir dir;
  std::string uri = test::backend_uri(dir);
  {
    admin a(uri);
    pg::open_schema(a.c, a.parsed.options.postgres_schema, 2);
    CHECK(a.c.query(("SELECT to_regclass('" + a.schema + ".store_identity')::text").c_str())
              .is_null(0, 0));
  }
  uuid id;
  {
    auto store = open_store(uri);
    CHECK(describe(*store).format_version == pg::schema_version);
    store->append("s", expected_version::no_stream(), test::make_events(2));
    id = store->store_id();
    CHECK_FALSE(id.is_nil());
  }
  auto store = open_store(uri);
  CHECK(store->store_id() == id);
  CHECK(store->head_position() == 2);
  store.reset();
  test::drop_postgres_schema(uri);
}

TEST_CASE("a version 3 schema gains type versions in place, keeping its events",
          "[postgres][schema]") {
  test::temp_dir dir;
  std::string uri = test::backend_uri(dir);
  {
    admin a(uri);
    pg::open_schema(a.c, a.parsed.options.postgres_schema, 3);
    // Two events as annal wrote them before type versions.
    a.c.exec("INSERT INTO " + a.schema +
             ".events (position, stream_id, stream_version, type, event_id, recorded_at, "
             "payload) VALUES (1, 's', 1, 'test.happened', gen_random_uuid(), now(), '{}'), "
             "(2, 's', 2, 'test.happened', gen_random_uuid(), now(), '{\"n\":2}');"
             "INSERT INTO " +
             a.schema +
             ".streams VALUES ('s', 2);"
             "UPDATE " +
             a.schema + ".head SET position = 2");
  }
  // verify reads the older schema as it is, without migrating it.
  CHECK(verify_store(uri).ok());
  {
    auto store = open_store(uri);
    CHECK(describe(*store).format_version == pg::schema_version);
    auto events = store->read_stream("s");
    REQUIRE(events.size() == 2);
    CHECK(events[0].type_version == 1);
    CHECK(events[1].type_version == 1);
    auto batch = test::make_events(1);
    batch[0].type_version = 9;
    store->append("s", expected_version::exact(2), batch);
  }
  CHECK(open_store(uri)->read_stream("s", 3)[0].type_version == 9);
  CHECK(verify_store(uri).ok());
  // The two events inserted by hand were linked by the chain's step as one batch.
  CHECK(detail::check_chain(*open_store(uri)).batches_checked == 2);
  test::drop_postgres_schema(uri);
}

TEST_CASE("a version 6 schema gets its hash chain computed once, in the migration",
          "[postgres][schema][chain]") {
  test::temp_dir dir;
  std::string uri = test::backend_uri(dir);
  {
    admin a(uri);
    pg::open_schema(a.c, a.parsed.options.postgres_schema, 6);
    // Three appends as annal wrote them before the chain: two of stream s (one of them with
    // metadata, which jsonb stores reordered), one of t, and an erased event.
    a.c.exec("INSERT INTO " + a.schema +
             ".events (position, stream_id, stream_version, type, event_id, recorded_at, "
             "metadata, payload) VALUES "
             "(1, 's', 1, 'a', gen_random_uuid(), '2026-01-01 00:00:00+00', NULL, '{}'), "
             "(2, 's', 2, 'a', gen_random_uuid(), '2026-01-01 00:00:00+00', NULL, '[1]'), "
             "(3, 't', 1, 'b', gen_random_uuid(), '2026-01-01 00:00:01+00', "
             "'{\"properties\":{\"z\":\"1\",\"a\":\"2\"},\"correlation_id\":\"c\"}', "
             "'{\"n\":3}'), "
             "(4, 's', 3, '$erased', gen_random_uuid(), '2026-01-01 00:00:02+00', NULL, "
             "'{\"content_digest\":\"" +
             std::string(64, 'a') +
             "\",\"type\":\"a\",\"version\":1}');"
             "INSERT INTO " +
             a.schema +
             ".streams VALUES ('s', 3), ('t', 1);"
             "UPDATE " +
             a.schema + ".head SET position = 4");
  }
  {
    auto store = open_store(uri);
    CHECK(describe(*store).format_version == pg::schema_version);
    auto report = detail::check_chain(*store);
    INFO(report.problem);
    CHECK(report.ok());
    CHECK(report.batches_checked == 3);
    store->append("t", expected_version::exact(1), test::make_events(2));
    report = detail::check_chain(*store);
    CHECK(report.ok());
    CHECK(report.batches_checked == 4);
  }
  admin a(uri);
  // The links are append-only, like the events.
  check_refused([&] { a.c.exec("UPDATE " + a.schema + ".batch_links SET link = '\\x00'"); },
                "append-only");
  check_refused([&] { a.c.exec("DELETE FROM " + a.schema + ".batch_links"); }, "append-only");
  check_refused([&] { a.c.exec("TRUNCATE " + a.schema + ".batch_links"); }, "append-only");
  // A payload changed behind the trigger's back breaks the chain at its batch.
  a.c.exec("ALTER TABLE " + a.schema + ".events DISABLE TRIGGER events_append_only; UPDATE " +
           a.schema + ".events SET payload = '{\"n\":4}' WHERE position = 3");
  auto store = open_store(uri);
  auto report = detail::check_chain(*store);
  REQUIRE_FALSE(report.ok());
  CHECK(report.broken->first_position == 3);
  CHECK(report.broken->last_position == 3);
  CHECK_THAT(report.broken->file, Catch::Contains("batch_links"));
  store.reset();
  test::drop_postgres_schema(uri);
}

TEST_CASE("a version 7 schema gets tags and their indexes, keeping its events and chain",
          "[postgres][schema][dcb]") {
  test::temp_dir dir;
  std::string uri = test::backend_uri(dir);
  {
    admin a(uri);
    pg::open_schema(a.c, a.parsed.options.postgres_schema, 6);
    a.c.exec("INSERT INTO " + a.schema +
             ".events (position, stream_id, stream_version, type, event_id, recorded_at, "
             "payload) VALUES "
             "(1, 's', 1, 'a', gen_random_uuid(), '2026-01-01 00:00:00+00', '{}'), "
             "(2, 't', 1, 'b', gen_random_uuid(), '2026-01-01 00:00:01+00', '[1]');"
             "INSERT INTO " +
             a.schema + ".streams VALUES ('s', 1), ('t', 1); UPDATE " + a.schema +
             ".head SET position = 2");
    pg::open_schema(a.c, a.parsed.options.postgres_schema, 7);
  }
  {
    auto store = open_store(uri);
    CHECK(describe(*store).format_version == 8);
    auto all = store->read_events(query::all());
    REQUIRE(all.events.size() == 2);
    CHECK(all.events[0].tags.empty());
    CHECK(all.read_up_to == 2);
    CHECK(store->read_events(query::of({{.types = {"b"}}})).events.at(0).position == 2);
    event_data tagged = test::make_event("c");
    tagged.tags = {"z:1", "a:1"};
    store->append("t", expected_version::exact(1), tagged,
                  append_condition{query::of({{.tags = {"a:1"}}}), 2});
    auto found = store->read_events(query::of({{.tags = {"a:1", "z:1"}}}));
    REQUIRE(found.events.size() == 1);
    CHECK(found.events[0].tags == std::vector<std::string>{"a:1", "z:1"});
    CHECK(detail::check_chain(*store).ok());
  }
  CHECK(verify_store(uri).ok());
  test::drop_postgres_schema(uri);
}

TEST_CASE("verify finds a tag index that disagrees with the events' tags",
          "[postgres][schema][dcb]") {
  test::store_fixture f;
  event_data e = test::make_event();
  e.tags = {"course:c1", "student:s1"};
  f.store().append("s", expected_version::any(), e);
  f.store().append("s", expected_version::any(), test::make_event());
  CHECK(verify_store(f.uri()).ok());
  admin a(f.uri());
  SECTION("a row missing") {
    a.c.exec("DELETE FROM " + a.schema + ".event_tags WHERE tag = 'student:s1'");
    auto report = verify_store(f.uri());
    REQUIRE_FALSE(report.ok());
    CHECK_THAT(report.problems.at(0).message, Catch::Contains("tag index does not name"));
    CHECK(report.problems.at(0).position == 1);
  }
  SECTION("a row too many") {
    a.c.exec("INSERT INTO " + a.schema + ".event_tags VALUES ('course:c1', 2)");
    auto report = verify_store(f.uri());
    REQUIRE_FALSE(report.ok());
    CHECK_THAT(report.problems.at(0).message, Catch::Contains("does not carry"));
    CHECK(report.problems.at(0).position == 2);
  }
}

TEST_CASE("a schema of a newer annal or of another program is refused", "[postgres][schema]") {
  test::store_fixture f;
  admin a(f.uri());
  a.c.exec("UPDATE " + a.schema + ".schema_version SET version = 99");
  check_refused([&] { open_store(f.uri()); }, "99");
  try {
    open_store(f.uri());
  } catch (const unsupported_format_version& e) {
    CHECK(e.found() == 99);
  }

  test::temp_dir dir;
  std::string foreign = test::backend_uri(dir);
  admin b(foreign);
  b.c.exec("CREATE SCHEMA " + b.schema + "; CREATE TABLE " + b.schema + ".events (id int)");
  CHECK_THROWS_AS(open_store(foreign), corruption);
  test::drop_postgres_schema(foreign);
  a.c.exec("UPDATE " + a.schema + ".schema_version SET version = 2");
}

TEST_CASE("an invalid schema name is refused before connecting", "[postgres][bad_input]") {
  std::string server = test::postgres_server();
  for (const char* name : {"bad-name", "a\"b", "1abc"}) {
    check_refused([&] { open_store(server + "?schema=" + name); }, "schema");
  }
}

TEST_CASE("data PostgreSQL cannot hold is refused with a clear error and writes nothing",
          "[postgres][bad_input]") {
  test::store_fixture f;
  auto batch = test::make_events(3);
  SECTION("a JSON payload that is not JSON") {
    batch[1].payload = "{not json";
    check_refused([&] { f.store().append("s", expected_version::any(), batch); }, "json");
    CHECK_THROWS_AS(f.store().append("s", expected_version::any(), batch), invalid_argument);
  }
  SECTION("a stream id that is not UTF-8") {
    check_refused([&] { f.store().append("s\xff", expected_version::any(), batch); }, "UTF8");
  }
  SECTION("an event type that is not UTF-8") {
    batch[2].type = "t\xc3";
    CHECK_THROWS_AS(f.store().append("s", expected_version::any(), batch), invalid_argument);
  }
  CHECK(f.store().head_position() == 0);
  CHECK(f.store().append("s", expected_version::no_stream(), test::make_events(2)).written);
}

TEST_CASE("one refused append in a group of concurrent appends fails alone",
          "[postgres][bad_input]") {
  test::store_fixture f;
  constexpr int threads = 8;
  constexpr int appends = 30;
  std::atomic<int> refused{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < appends; ++i) {
        event_data e = test::make_event("t", i);
        if (t == 0 && i % 3 == 0) e.payload = "not json";
        try {
          f.store().append("s-" + std::to_string(t), expected_version::any(), e);
        } catch (const invalid_argument&) {
          ++refused;
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  CHECK(refused == appends / 3);
  CHECK(f.store().head_position() == threads * appends - appends / 3);
  for (int t = 1; t < threads; ++t) {
    CHECK(f.store().stream_version("s-" + std::to_string(t)) == appends);
  }
}

}  // namespace annal
