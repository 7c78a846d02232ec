// The PostgreSQL read-model database: a schema of its own, transactions, advisory-lock leaders.
#include "postgres/postgres_read_model.hpp"

#include <fmt/format.h>

#include "annal/error.hpp"
#include "core/store_uri.hpp"
#include "postgres/connection.hpp"
#include "postgres/postgres_session.hpp"

namespace annal::projection_detail {

namespace {

class postgres_read_model final : public read_model_db {
 public:
  postgres_read_model(const detail::store_uri& uri, bool read_only)
      : c_(uri.path),
        schema_(uri.options.postgres_schema),
        where_(fmt::format("{} schema {}", c_.name(), schema_)) {
    c_.exec(fmt::format("SET search_path TO {}", pg::quote_identifier(schema_)));
    if (read_only) c_.exec("SET default_transaction_read_only = on");
  }

  ~postgres_read_model() override { close_bookkeeping(); }
  postgres_read_model(const postgres_read_model&) = delete;
  postgres_read_model& operator=(const postgres_read_model&) = delete;

  std::unique_ptr<model_session> session(table_map tables) override {
    return std::make_unique<postgres_session>(c_, std::move(tables), statement_ids_,
                                              database_failure_slot());
  }
  void begin() override { c_.exec("BEGIN"); }
  void commit() override { c_.exec("COMMIT"); }
  void rollback() noexcept override {
    if (c_.ok() && PQtransactionStatus(c_.handle()) != PQTRANS_IDLE) {
      pg::result r(PQexec(c_.handle(), "ROLLBACK"));
    }
  }
  void create_missing(std::string_view ddl) override {
    // Concurrent CREATE ... IF NOT EXISTS of one name can fail in PostgreSQL: take turns.
    db_transaction tx(*this);
    c_.exec("SELECT pg_advisory_xact_lock(hashtextextended('annal.read_model.ddl', 0))");
    c_.exec(fmt::format("CREATE SCHEMA IF NOT EXISTS {}", pg::quote_identifier(schema_)));
    c_.exec(ddl);
    tx.commit();
  }
  void add_missing_column(std::string_view table, std::string_view column,
                          std::string_view definition) override {
    auto has_column = [&] {
      pg::result r = c_.query(
          "SELECT count(*) FROM information_schema.columns WHERE table_schema = $1 AND "
          "table_name = $2 AND column_name = $3",
          {pg::param(schema_), pg::param(table), pg::param(column)});
      return r.int8(0, 0) != 0;
    };
    // ALTER TABLE waits for every transaction on the table: only when the column is missing.
    if (has_column()) return;
    db_transaction tx(*this);
    c_.exec("SELECT pg_advisory_xact_lock(hashtextextended('annal.read_model.ddl', 0))");
    if (!has_column()) {
      c_.exec(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", pg::quote_identifier(table),
                          pg::quote_identifier(column), definition));
    }
    tx.commit();
  }
  bool try_lead(std::string_view name) override {
    std::string key = fmt::format("annal.projection:{}:{}", schema_, name);
    pg::result r =
        c_.query("SELECT pg_try_advisory_lock(hashtextextended($1::text, 0))", {pg::param(key)});
    return r.rows() == 1 && r.bytes(0, 0) == std::string_view("\1", 1);
  }
  void check_lead() const override {
    if (!c_.ok()) {
      throw io_error(0, where_, "lost the connection to the server, and with it the lead");
    }
  }
  const std::string& where() const noexcept override { return where_; }

 private:
  pg::connection c_;
  std::string schema_;
  std::string where_;
  std::uint64_t statement_ids_ = 0;
};

}  // namespace

std::unique_ptr<read_model_db> open_postgres_read_model(const std::string& uri, bool read_only) {
  return std::make_unique<postgres_read_model>(detail::parse_store_uri(uri, {}), read_only);
}

}  // namespace annal::projection_detail
