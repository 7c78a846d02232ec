// PostgreSQL read models: `$n` parameters and their types, rows, refused SQL, read-only readers.
#include <catch2/catch.hpp>

#include "projection/projection_fixture.hpp"

using namespace annal;
using namespace std::chrono_literals;
using annal::test::in_handler;
using annal::test::postgres_schema;

namespace {

// A store and a PostgreSQL read model in a schema of its own.
struct postgres_fixture {
  test::store_fixture stores;
  postgres_schema schema;
};

}  // namespace

TEST_CASE("PostgreSQL: parameters bind as int8, float8, text and NULL; rows read back",
          "[postgres]") {
  postgres_fixture f;
  std::string physical;
  auto s = in_handler(
      [&](read_model_transaction& tx) {
        physical = tx.table("kv");
        CHECK(tx.execute("INSERT INTO {kv}(k, i, r, t) VALUES ($1, $2, $3, $4)",
                         {"a", 42, 2.5, "{not_a_table} 'quoted' \xc3\xa9"}) == 1);
        CHECK(tx.execute("INSERT INTO {kv}(k, i, r, t) VALUES ($1, $2, $3, $4)",
                         {"b", nullptr, nullptr, nullptr}) == 1);
        CHECK(tx.query_int("SELECT i FROM {kv} WHERE k = $1", {"a"}) == 42);
        CHECK_FALSE(tx.query_int("SELECT i FROM {kv} WHERE k = $1", {"b"}).has_value());
        CHECK_FALSE(tx.query_int("SELECT i FROM {kv} WHERE k = $1", {"zz"}).has_value());
        CHECK(tx.query_int("SELECT $1::bigint * 2", {std::int64_t{1} << 40}) == std::int64_t{1}
                                                                                    << 41);
        CHECK(tx.query_int("SELECT count(*) FROM {kv} WHERE i > $1", {true}) == 1);
        CHECK(tx.execute("UPDATE {kv} SET i = 1") == 2);
        CHECK(tx.execute("SELECT * FROM {kv}") == 0);
      },
      f.schema.uri(), f.stores.store());
  CHECK(s.state == projection_state::live);
  CHECK(s.error.empty());
  CHECK(physical == "kv__v1_1");
  read_model_reader reader(f.schema.uri());
  CHECK(reader.current_table("kv", "kv") == "kv__v1_1");
  CHECK(reader.current_table("kv", "missing").empty());
  std::vector<std::string> rows;
  reader.query("SELECT k, i, r, t, t IS NULL FROM kv WHERE k >= $1 ORDER BY k", {"a"},
               [&](const sql_row& row) {
                 REQUIRE(row.column_count() == 5);
                 rows.push_back(row.text(0) + "|" + std::to_string(row.integer(1)) + "|" +
                                std::to_string(row.real(2)) + "|" + row.text(3) + "|" +
                                (row.is_null(3) ? "null" : "value") + "|" +
                                std::to_string(row.integer(4)));
               });
  CHECK(rows == std::vector<std::string>{"a|1|2.500000|{not_a_table} 'quoted' \xc3\xa9|value|0",
                                         "b|1|0.000000||null|1"});
}

TEST_CASE("PostgreSQL: SQL that does not compile or is not one statement is invalid_argument",
          "[postgres]") {
  postgres_fixture f;
  in_handler([](read_model_transaction&) {}, f.schema.uri(), f.stores.store());
  read_model_reader reader(f.schema.uri());
  auto ignore = [](const sql_row&) {};
  CHECK_THROWS_AS(reader.query("SELECT 1; SELECT 2", {}, ignore), invalid_argument);
  CHECK_THROWS_AS(reader.query("", {}, ignore), invalid_argument);
  CHECK_THROWS_AS(reader.query("SELEC 1", {}, ignore), invalid_argument);
  CHECK_THROWS_AS(reader.query("SELECT * FROM no_such_table", {}, ignore), invalid_argument);
  CHECK_THROWS_AS(reader.query("SELECT $1, $2", {1}, ignore), invalid_argument);
  CHECK(reader.query("SELECT 1;", {}, ignore) == 1);
  // A handler whose SQL does not compile fails its event with the message.
  auto s = in_handler([](read_model_transaction& tx) { tx.execute("INSERT INTO {kv} VALUE (1)"); },
                      f.schema.uri(), f.stores.store());
  CHECK(s.state == projection_state::failed);
  CHECK(s.error.find("does not compile") != std::string::npos);
}

TEST_CASE("PostgreSQL: a constraint violation fails the event with io_error and writes nothing",
          "[postgres]") {
  postgres_fixture f;
  auto s = in_handler(
      [](read_model_transaction& tx) {
        tx.execute("INSERT INTO {kv}(k) VALUES ('same')");
        tx.execute("INSERT INTO {kv}(k) VALUES ('same')");
      },
      f.schema.uri(), f.stores.store());
  CHECK(s.state == projection_state::failed);
  CHECK(s.error.find("duplicate key") != std::string::npos);
  CHECK(s.checkpoint == 0);
  read_model_reader reader(f.schema.uri());
  CHECK(reader.query("SELECT k FROM kv", {}, [](const sql_row&) {}) == 0);
}

TEST_CASE("PostgreSQL: a reader cannot write, and an unreachable server is io_error",
          "[postgres]") {
  postgres_fixture f;
  in_handler([](read_model_transaction&) {}, f.schema.uri(), f.stores.store());
  read_model_reader reader(f.schema.uri());
  CHECK_THROWS_AS(reader.query("DELETE FROM kv", {}, [](const sql_row&) {}), io_error);
  CHECK_THROWS_AS(read_model_reader("postgres://annal@127.0.0.1:1/postgres?connect_timeout=2"),
                  io_error);
  CHECK_THROWS_AS(read_model_reader("postgres://annal@127.0.0.1:1/postgres?poll_interval_ms=x"),
                  invalid_argument);
}
