// The quickstart: a shopping-cart aggregate appended and loaded through the SQLite store.
#include <annal/annal.hpp>
#include <cstdio>
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

namespace cart {

// Events: plain structs. The type name is what the store records.
struct opened {
  static constexpr std::string_view type = "cart.opened";
  std::string customer;
};
struct item_added {
  static constexpr std::string_view type = "cart.item_added";
  std::string sku;
  int quantity;
  double unit_price;
};
struct checked_out {
  static constexpr std::string_view type = "cart.checked_out";
  double total;
};
using event = std::variant<opened, item_added, checked_out>;

// State, folded from the events by one apply() per event type.
struct line {
  std::string sku;
  int quantity = 0;
};
struct state {
  std::string customer;
  std::vector<line> lines;
  double total = 0;
  bool checked_out = false;
};
state apply(state s, const opened& e) {
  s.customer = e.customer;
  return s;
}
state apply(state s, const item_added& e) {
  s.lines.push_back({e.sku, e.quantity});
  s.total += e.quantity * e.unit_price;
  return s;
}
state apply(state s, const checked_out&) {
  s.checked_out = true;
  return s;
}

// Commands: decide what happens from the current state, or refuse.
std::vector<event> add_item(const state& s, std::string sku, int quantity, double price) {
  if (s.checked_out) throw std::runtime_error("the cart is checked out");
  if (quantity <= 0) throw std::invalid_argument("quantity must be positive");
  return {item_added{std::move(sku), quantity, price}};
}

}  // namespace cart

int main(int argc, char** argv) {
  std::filesystem::path data = argc > 1 ? argv[1] : "data";
  std::filesystem::create_directories(data);
  std::string uri = "sqlite:" + (data / "quickstart.db").string();
  auto store = annal::open_store(uri);
  annal::repository<cart::state, cart::event> carts(*store, "cart");

  std::string id = annal::uuid::v7().to_string();
  std::printf("store %s, head position %llu\n", uri.c_str(),
              static_cast<unsigned long long>(store->head_position()));

  carts.save(id, 0, {cart::opened{"ada"}});
  carts.update(id, [](const cart::state& s) { return cart::add_item(s, "book-42", 2, 12.5); });
  carts.update(id, [](const cart::state& s) { return cart::add_item(s, "pen-7", 3, 1.2); });
  carts.update(id, [](const cart::state& s) {
    return std::vector<cart::event>{cart::checked_out{s.total}};
  });
  try {
    carts.update(id, [](const cart::state& s) { return cart::add_item(s, "mug-1", 1, 8); });
  } catch (const std::runtime_error& refused) {
    std::printf("refused as expected: %s\n", refused.what());
  }

  auto loaded = carts.load(id);
  std::printf("cart %s: customer %s, %zu lines, total %.2f, checked out: %s, version %llu\n",
              id.c_str(), loaded.state.customer.c_str(), loaded.state.lines.size(),
              loaded.state.total, loaded.state.checked_out ? "yes" : "no",
              static_cast<unsigned long long>(loaded.version));
  for (const auto& e : store->read_stream(carts.stream_id(id))) {
    std::printf("  #%llu v%llu %-18s %s\n", static_cast<unsigned long long>(e.position),
                static_cast<unsigned long long>(e.stream_version), e.type.c_str(),
                e.payload.c_str());
  }
  std::printf("head position now %llu\n", static_cast<unsigned long long>(store->head_position()));
}
