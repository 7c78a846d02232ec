// Sample: fills a store, projects it into a SQLite read model, then rebuilds the read model from
// position zero while printing the live progress bar.
#include <annal/annal.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

namespace shop {

struct order_placed {
  static constexpr std::string_view type = "order.placed";
  std::string customer;
};
struct item_added {
  static constexpr std::string_view type = "order.item_added";
  std::string sku;
  int quantity;
  long long cents;
};
using order_event = std::variant<order_placed, item_added>;

// One row per order: customer, item count and total.
annal::projection order_summary(int version) {
  struct handler {
    void operator()(const order_placed& e, const annal::recorded_event& r,
                    annal::read_model_transaction& tx) const {
      tx.execute(
          "INSERT INTO {order_summary}(order_id, customer, items, cents) VALUES (?1, ?2, 0, 0) "
          "ON CONFLICT(order_id) DO UPDATE SET customer = excluded.customer",
          {r.stream_id, e.customer});
    }
    void operator()(const item_added& e, const annal::recorded_event& r,
                    annal::read_model_transaction& tx) const {
      tx.execute(
          "INSERT INTO {order_summary}(order_id, customer, items, cents) VALUES (?1, '', ?2, ?3) "
          "ON CONFLICT(order_id) DO UPDATE SET items = items + excluded.items, "
          "cents = cents + excluded.cents",
          {r.stream_id, e.quantity, e.cents * e.quantity});
    }
  };
  return annal::sqlite_projection<order_event>(
      "order_summary", version, {"order_summary"},
      [](annal::read_model_transaction& tx) {
        tx.execute(
            "CREATE TABLE {order_summary}(order_id TEXT PRIMARY KEY, customer TEXT, "
            "items INTEGER, cents INTEGER)");
      },
      handler{});
}

}  // namespace shop

int main(int argc, char** argv) {
  std::string uri = argc > 1 ? argv[1] : "segment:projection-demo-store?durability=os_buffered";
  std::string model = argc > 2 ? argv[2] : "projection-demo.db";
  std::uint64_t wanted = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 300000;
  using codec = annal::event_codec<shop::order_event>;
  try {
    auto store = annal::open_store(uri);
    // Batches of 10 events over 10,000 orders; an order's first batch places it.
    for (std::uint64_t batch_no = 0; store->head_position() < wanted; ++batch_no) {
      std::vector<annal::event_data> batch;
      if (batch_no < 10000) batch.push_back(codec::encode(shop::order_placed{"ada"}));
      while (batch.size() < 10) batch.push_back(codec::encode(shop::item_added{"sku", 1, 250}));
      store->append("order-" + std::to_string(batch_no % 10000), annal::expected_version::any(),
                    batch);
    }
    std::cout << "store " << uri << ": " << store->head_position() << " events\n";

    annal::projection_runner runner(*store, model);
    runner.add(shop::order_summary(1));
    runner.start();
    auto show_until_live = [&] {
      for (;;) {
        auto status = runner.status("order_summary");
        std::cout << '\r' << annal::render_progress_bar(status) << "\033[K" << std::flush;
        if (status.state == annal::projection_state::live ||
            status.state == annal::projection_state::failed) {
          std::cout << '\n';
          return status.state == annal::projection_state::live;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    };
    if (!show_until_live()) return 1;
    std::cout << "rebuilding from position zero while the current tables keep serving...\n";
    runner.rebuild("order_summary");
    if (!show_until_live()) return 1;

    annal::read_model_reader reader(model);
    reader.query("SELECT count(*), sum(items), sum(cents) FROM order_summary", {},
                 [](const annal::sql_row& row) {
                   std::cout << row.integer(0) << " orders, " << row.integer(1) << " items, "
                             << row.integer(2) << " cents\n";
                 });
    std::cout << "current table: " << reader.current_table("order_summary", "order_summary")
              << '\n';
  } catch (const annal::error& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 1;
  }
}
