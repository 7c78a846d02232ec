// The revenue read model: its projection (writer) and its per-day query (reader).
#include "revenue.hpp"

#include <string_view>

#include "order.hpp"
#include "order_stream.hpp"

namespace order_service {
namespace {

// The UTC day of the event, "YYYY-MM-DD".
std::string day_of(const annal::recorded_event& e) { return recorded_at_text(e).substr(0, 10); }

// Adds to one day's row, creating it when missing.
void add_to_day(annal::read_model_transaction& tx, const std::string& day,
                const std::string& currency, std::int64_t orders, std::int64_t paid,
                std::int64_t refunded) {
  tx.execute(
      "INSERT INTO {revenue_day} (day, currency, orders_paid, paid_cents, refunded_cents) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (day, currency) DO UPDATE SET "
      "orders_paid = orders_paid + excluded.orders_paid, "
      "paid_cents = paid_cents + excluded.paid_cents, "
      "refunded_cents = refunded_cents + excluded.refunded_cents",
      {day, currency, orders, paid, refunded});
}

// The currency and payment of an order, as this projection recorded them.
struct order_payment {
  std::string currency;
  std::int64_t paid_cents = 0;
};

order_payment payment_of(annal::read_model_transaction& tx, const std::string& id) {
  order_payment out;
  tx.query("SELECT currency, paid_cents FROM {revenue_order} WHERE order_id = ?1", {id},
           [&](const annal::sql_row& row) {
             out.currency = row.text(0);
             out.paid_cents = row.integer(1);
           });
  return out;
}

struct revenue_writer {
  void operator()(const order_created& event, const annal::recorded_event& e,
                  annal::read_model_transaction& tx) const {
    std::string id = order_id_of(e);
    tx.execute("INSERT INTO {revenue_order} (order_id, currency, paid_cents) VALUES (?1, ?2, 0)",
               {id, event.currency});
  }
  void operator()(const order_paid& event, const annal::recorded_event& e,
                  annal::read_model_transaction& tx) const {
    std::string id = order_id_of(e);
    tx.execute("UPDATE {revenue_order} SET paid_cents = ?2 WHERE order_id = ?1",
               {id, event.amount_cents});
    add_to_day(tx, day_of(e), payment_of(tx, id).currency, 1, event.amount_cents, 0);
  }
  void operator()(const order_cancelled&, const annal::recorded_event& e,
                  annal::read_model_transaction& tx) const {
    std::string id = order_id_of(e);
    order_payment payment = payment_of(tx, id);
    if (payment.paid_cents > 0)
      add_to_day(tx, day_of(e), payment.currency, 0, 0, payment.paid_cents);
  }
  // The other events do not move money.
  template <class Event>
  void operator()(const Event&, const annal::recorded_event&,
                  annal::read_model_transaction&) const {}
};

void create_tables(annal::read_model_transaction& tx) {
  tx.execute(
      "CREATE TABLE {revenue_day} (day TEXT NOT NULL, currency TEXT NOT NULL, "
      "orders_paid INTEGER NOT NULL, paid_cents INTEGER NOT NULL, "
      "refunded_cents INTEGER NOT NULL, PRIMARY KEY (day, currency))");
  tx.execute(
      "CREATE TABLE {revenue_order} (order_id TEXT PRIMARY KEY, currency TEXT NOT NULL, "
      "paid_cents INTEGER NOT NULL)");
}

// Only the events that matter here are read.
using revenue_event = std::variant<order_created, order_paid, order_cancelled>;

}  // namespace

annal::projection revenue_projection() {
  auto p = annal::sqlite_projection<revenue_event>(
      revenue_name, 1, {"revenue_day", "revenue_order"}, create_tables, revenue_writer{});
  p.stream_prefix = std::string(order_stream_prefix);
  return p;
}

std::vector<revenue_day> revenue_per_day(annal::read_model_reader& reader, const std::string& from,
                                         const std::string& to) {
  std::vector<revenue_day> days;
  // Before the projection's first build registers its tables there is nothing to report.
  if (reader.current_table(revenue_name, "revenue_day").empty()) return days;
  reader.query(
      "SELECT day, currency, orders_paid, paid_cents, refunded_cents FROM revenue_day "
      "WHERE (?1 = '' OR day >= ?1) AND (?2 = '' OR day <= ?2) ORDER BY day, currency",
      {from, to}, [&](const annal::sql_row& row) {
        days.push_back({row.text(0), row.text(1), row.integer(2), row.integer(3), row.integer(4)});
      });
  return days;
}

}  // namespace order_service
