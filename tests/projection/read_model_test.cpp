// The read-model transaction and reader: `{base}` table references, parameters, rows, refused SQL.
#include <catch2/catch.hpp>

#include "projection/projection_fixture.hpp"

using namespace annal;
using namespace std::chrono_literals;
using annal::test::projection_fixture;

using annal::test::in_handler;

TEST_CASE("{base} table references name the build's physical tables; other braces stay",
          "[read_model][sqlite_model]") {
  projection_fixture f;
  std::string physical;
  auto s = in_handler(
      [&](read_model_transaction& tx) {
        physical = tx.table("kv");
        tx.execute("INSERT INTO {kv}(k, i, r, t) VALUES (?1, ?2, ?3, ?4)",
                   {"a", 42, 2.5, "{not_a_table}"});
        tx.execute("INSERT INTO {kv}(k, i, r, t) VALUES (?1, ?2, ?3, ?4)",
                   {"b", nullptr, nullptr, nullptr});
        CHECK(tx.query_int("SELECT i FROM {kv} WHERE k = ?1", {"a"}) == 42);
        CHECK_FALSE(tx.query_int("SELECT i FROM {kv} WHERE k = ?1", {"b"}).has_value());
        CHECK_FALSE(tx.query_int("SELECT i FROM {kv} WHERE k = ?1", {"zz"}).has_value());
        CHECK(tx.execute("UPDATE {kv} SET i = 1") == 2);
        CHECK_THROWS_AS(tx.table("nope"), invalid_argument);
      },
      f.model, f.store());
  CHECK(s.state == projection_state::live);
  CHECK(physical == "kv__v1_1");
  read_model_reader reader(f.model);
  CHECK(reader.current_table("kv", "kv") == "kv__v1_1");
  CHECK(reader.current_table("kv", "missing").empty());
  std::vector<std::string> rows;
  reader.query("SELECT k, i, r, t FROM kv ORDER BY k", {}, [&](const sql_row& row) {
    REQUIRE(row.column_count() == 4);
    rows.push_back(row.text(0) + "|" + std::to_string(row.integer(1)) + "|" +
                   std::to_string(row.real(2)) + "|" + row.text(3) + "|" +
                   (row.is_null(3) ? "null" : "value"));
  });
  CHECK(rows == std::vector<std::string>{"a|1|2.500000|{not_a_table}|value", "b|1|0.000000||null"});
}

TEST_CASE("SQL that is not exactly one statement is refused", "[read_model][sqlite_model]") {
  projection_fixture f;
  in_handler(
      [&](read_model_transaction& tx) {
        CHECK_THROWS_AS(tx.execute("SELECT 1; SELECT 2"), invalid_argument);
        CHECK_THROWS_AS(tx.execute(""), invalid_argument);
        CHECK_THROWS_AS(tx.execute("SELEC 1"), invalid_argument);
        CHECK_THROWS_AS(tx.execute("SELECT ?1", {1, 2}), invalid_argument);
        CHECK(tx.execute("SELECT 1;  ") == 0);
      },
      f.model, f.store());
  read_model_reader reader(f.model);
  CHECK_THROWS_AS(reader.query("SELECT 1; SELECT 2", {}, [](const sql_row&) {}), invalid_argument);
}

TEST_CASE("a constraint violation in a handler is an io_error that fails the event",
          "[read_model][sqlite_model]") {
  projection_fixture f;
  auto s = in_handler(
      [&](read_model_transaction& tx) {
        tx.execute("INSERT INTO {kv}(k) VALUES ('same')");
        tx.execute("INSERT INTO {kv}(k) VALUES ('same')");
      },
      f.model, f.store());
  CHECK(s.state == projection_state::failed);
  CHECK(s.error.find("UNIQUE") != std::string::npos);
}

TEST_CASE("a reader of a missing database gets io_error", "[read_model]") {
  projection_fixture f;
  CHECK_THROWS_AS(read_model_reader(f.dir.file("absent.db")), io_error);
}
