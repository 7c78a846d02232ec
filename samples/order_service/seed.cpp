// The seeder: realistic orders made through the same commands the HTTP API runs.
#include "seed.hpp"

#include <array>
#include <random>
#include <string_view>

namespace order_service {
namespace {

struct product {
  std::string_view sku;
  std::int64_t price_cents;
};

constexpr std::array<product, 8> catalogue{{{"book-42", 1250},
                                            {"pen-7", 120},
                                            {"mug-1", 800},
                                            {"lamp-3", 3499},
                                            {"notebook-5", 450},
                                            {"chair-9", 12900},
                                            {"cable-2", 999},
                                            {"plant-4", 1575}}};
constexpr std::array<std::string_view, 6> first_names{"ada",    "alan",    "grace",
                                                      "edsger", "barbara", "ken"};
constexpr std::array<std::string_view, 3> currencies{"EUR", "EUR", "USD"};

}  // namespace

seed_result seed(service& app, std::size_t orders, std::uint32_t random_seed) {
  std::mt19937 random(random_seed);
  auto pick = [&random](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
  };
  seed_result result;
  std::size_t customers = orders == 0 ? 0 : orders / 5 + 1;
  for (std::size_t i = 0; i < customers; ++i) {
    std::string name(first_names[i % first_names.size()]);
    std::string email = name + "." + std::to_string(i + 1) + "@example.com";
    result.customer_ids.push_back(app.register_customer({name, email}).id);
  }
  for (std::size_t i = 0; i < orders; ++i) {
    std::string customer = result.customer_ids[pick(result.customer_ids.size())];
    auto id = app.create_order({customer, std::string(currencies[pick(currencies.size())])}).id;
    std::size_t items = 1 + pick(4);
    for (std::size_t k = 0; k < items; ++k) {
      const product& p = catalogue[pick(catalogue.size())];
      auto quantity = static_cast<std::int32_t>(1 + pick(3));
      app.execute(id, add_item{std::string(p.sku), quantity, p.price_cents});
    }
    if (pick(4) == 0) app.execute(id, apply_discount{"WELCOME10", 10});
    std::size_t fate = pick(10);
    if (fate < 7) {
      auto total = total_cents(app.get_order(id).state);
      app.execute(id, pay_order{total});
      ++result.paid;
      if (fate < 4) {
        app.execute(id, ship_order{"TRACK-" + std::to_string(100000 + i)});
        ++result.shipped;
      }
    } else if (fate == 7) {
      app.execute(id, cancel_order{"changed my mind"});
      ++result.cancelled;
    }
    result.order_ids.push_back(std::move(id));
  }
  return result;
}

}  // namespace order_service
