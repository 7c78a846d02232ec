// The order summaries read model: its projection (writer) and its listing query (reader).
#include "order_summaries.hpp"

#include <string_view>

#include "order.hpp"
#include "order_stream.hpp"

namespace order_service {
namespace {

// Recomputes an order's item count and totals from its lines, exactly as total_cents() does.
void refresh_totals(const annal::recorded_event& e, annal::read_model_transaction& tx) {
  std::string id = order_id_of(e);
  std::string at = recorded_at_text(e);
  tx.execute(
      "UPDATE {order_summary} SET"
      " item_count = (SELECT COALESCE(SUM(quantity), 0) FROM {order_line} WHERE order_id = ?1),"
      " subtotal_cents = (SELECT COALESCE(SUM(quantity * unit_price_cents), 0) FROM {order_line}"
      " WHERE order_id = ?1), updated_at = ?2 WHERE order_id = ?1",
      {id, at});
  tx.execute(
      "UPDATE {order_summary} SET total_cents = subtotal_cents - subtotal_cents * "
      "discount_percent / 100 WHERE order_id = ?1",
      {id});
}

void set_status(const annal::recorded_event& e, annal::read_model_transaction& tx,
                order_status status) {
  std::string id = order_id_of(e);
  std::string at = recorded_at_text(e);
  tx.execute("UPDATE {order_summary} SET status = ?2, updated_at = ?3 WHERE order_id = ?1",
             {id, to_string(status), at});
}

struct summary_writer {
  void operator()(const order_created& event, const annal::recorded_event& e,
                  annal::read_model_transaction& tx) const {
    std::string id = order_id_of(e);
    std::string at = recorded_at_text(e);
    tx.execute(
        "INSERT INTO {order_summary} (order_id, customer_id, currency, status, item_count, "
        "subtotal_cents, discount_percent, total_cents, position, created_at, updated_at) "
        "VALUES (?1, ?2, ?3, 'open', 0, 0, 0, 0, ?4, ?5, ?5)",
        {id, event.customer_id, event.currency, e.position, at});
  }
  void operator()(const item_added& event, const annal::recorded_event& e,
                  annal::read_model_transaction& tx) const {
    std::string id = order_id_of(e);
    tx.execute(
        "INSERT INTO {order_line} (order_id, sku, quantity, unit_price_cents) "
        "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (order_id, sku) "
        "DO UPDATE SET quantity = quantity + excluded.quantity",
        {id, event.sku, event.quantity, event.unit_price.cents});
    refresh_totals(e, tx);
  }
  void operator()(const item_removed& event, const annal::recorded_event& e,
                  annal::read_model_transaction& tx) const {
    std::string id = order_id_of(e);
    tx.execute("DELETE FROM {order_line} WHERE order_id = ?1 AND sku = ?2", {id, event.sku});
    refresh_totals(e, tx);
  }
  void operator()(const discount_applied& event, const annal::recorded_event& e,
                  annal::read_model_transaction& tx) const {
    std::string id = order_id_of(e);
    tx.execute("UPDATE {order_summary} SET discount_percent = ?2 WHERE order_id = ?1",
               {id, event.percent});
    refresh_totals(e, tx);
  }
  void operator()(const order_paid&, const annal::recorded_event& e,
                  annal::read_model_transaction& tx) const {
    set_status(e, tx, order_status::paid);
  }
  void operator()(const order_shipped&, const annal::recorded_event& e,
                  annal::read_model_transaction& tx) const {
    set_status(e, tx, order_status::shipped);
  }
  void operator()(const order_cancelled&, const annal::recorded_event& e,
                  annal::read_model_transaction& tx) const {
    set_status(e, tx, order_status::cancelled);
  }
};

void create_tables(annal::read_model_transaction& tx) {
  tx.execute(
      "CREATE TABLE {order_summary} (order_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, "
      "currency TEXT NOT NULL, status TEXT NOT NULL, item_count INTEGER NOT NULL, "
      "subtotal_cents INTEGER NOT NULL, discount_percent INTEGER NOT NULL, "
      "total_cents INTEGER NOT NULL, position INTEGER NOT NULL UNIQUE, created_at TEXT NOT NULL, "
      "updated_at TEXT NOT NULL)");
  tx.execute("CREATE INDEX {order_summary}_by_status ON {order_summary} (status, position)");
  tx.execute(
      "CREATE TABLE {order_line} (order_id TEXT NOT NULL, sku TEXT NOT NULL, "
      "quantity INTEGER NOT NULL, unit_price_cents INTEGER NOT NULL, PRIMARY KEY (order_id, sku))");
}

}  // namespace

annal::projection order_summaries_projection() {
  auto p = annal::sqlite_projection<order_event>(
      order_summaries_name, 1, {"order_summary", "order_line"}, create_tables, summary_writer{});
  p.stream_prefix = std::string(order_stream_prefix);
  return p;
}

order_summary_page list_orders(annal::read_model_reader& reader, const std::string& status,
                               std::uint64_t after, std::size_t limit) {
  order_summary_page page;
  // Before the projection's first build registers its tables there is nothing to list.
  if (reader.current_table(order_summaries_name, "order_summary").empty()) return page;
  // One row more than asked tells whether another page follows.
  reader.query(
      "SELECT order_id, customer_id, currency, status, item_count, total_cents, created_at, "
      "updated_at, position FROM order_summary WHERE (?1 = '' OR status = ?1) AND position > ?2 "
      "ORDER BY position LIMIT ?3",
      {status, static_cast<std::int64_t>(after), static_cast<std::int64_t>(limit + 1)},
      [&](const annal::sql_row& row) {
        page.orders.push_back({row.text(0), row.text(1), row.text(2), row.text(3), row.integer(4),
                               row.integer(5), row.text(6), row.text(7),
                               static_cast<std::uint64_t>(row.integer(8))});
      });
  if (page.orders.size() > limit) {
    page.orders.pop_back();
    page.next_after = page.orders.back().position;
  }
  return page;
}

}  // namespace order_service
