// The quickstart: a shopping-cart aggregate appended and loaded through the SQLite store.
#include <annal/annal.hpp>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
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

// A command the cart refuses. A type of its own, so that catching a refusal never catches a
// store's error (annal::error is a std::runtime_error too): a failed read or write is not a
// "no" from the domain.
struct refused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Commands: decide what happens from the current state, or refuse.
std::vector<event> add_item(const state& s, std::string sku, int quantity, double price) {
  if (s.checked_out) throw refused("the cart is checked out");
  if (quantity <= 0) throw refused("quantity must be positive");
  return {item_added{std::move(sku), quantity, price}};
}

}  // namespace cart

// Runs the example; returns 1 when a result is not the one expected.
int run(const std::filesystem::path& data) {
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
  bool refused = false;
  try {
    carts.update(id, [](const cart::state& s) { return cart::add_item(s, "mug-1", 1, 8); });
  } catch (const cart::refused& refusal) {  // a store's error is not caught here
    std::printf("refused as expected: %s\n", refusal.what());
    refused = true;
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
  // The refused command wrote nothing: four events, the last one the checkout.
  bool as_expected =
      refused && loaded.version == 4 && loaded.state.lines.size() == 2 && loaded.state.checked_out;
  if (!as_expected) std::fprintf(stderr, "quickstart: the cart is not in the expected state\n");
  return as_expected ? 0 : 1;
}

int main(int argc, char** argv) {
  try {
    return run(argc > 1 ? argv[1] : "data");
  } catch (const std::exception& e) {  // e.g. annal::io_error: the store cannot be used
    std::fprintf(stderr, "quickstart: %s\n", e.what());
    return 1;
  }
}
