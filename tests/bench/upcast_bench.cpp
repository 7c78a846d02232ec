// Benchmark: decoding through upcaster chains, as a ratio to decoding today's version directly.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "annal/codec.hpp"

namespace evolved {

// Today's shape, version 4, and the three before it.
struct item_added {
  static constexpr std::string_view type = "order.item_added";
  static constexpr int version = 4;
  std::string sku;
  long long price_cents;
  int quantity;
  std::string note;
};
struct order_noted {
  static constexpr std::string_view type = "order.noted";
  std::string text;
};
using event = std::variant<item_added, order_noted>;

struct item_added_v1 {
  static constexpr std::string_view type = "order.item_added";
  std::string sku;
  double euros;
  std::string note;
};
struct item_added_v2 {
  static constexpr std::string_view type = "order.item_added";
  static constexpr int version = 2;
  std::string sku;
  double price;
  std::string note;
};
struct item_added_v3 {
  static constexpr std::string_view type = "order.item_added";
  static constexpr int version = 3;
  std::string sku;
  double price;
  int quantity;
  std::string note;
};
item_added_v2 to_v2(const item_added_v1& e) { return {e.sku, e.euros, e.note}; }
item_added_v3 to_v3(const item_added_v2& e) { return {e.sku, e.price, 1, e.note}; }
item_added to_v4(const item_added_v3& e) {
  return {e.sku, static_cast<long long>(e.price * 100 + 0.5), e.quantity, e.note};
}

// A raw-JSON step: "order.comment" {"body"} became order.noted {"text"}.
annal::json_event comment_to_note(nlohmann::json payload) {
  return {"order.noted", 1, {{"text", std::move(payload["body"])}}};
}

}  // namespace evolved

template <>
struct annal::upcasters_of<evolved::event>
    : annal::upcasters<annal::upcast<&evolved::to_v2>, annal::upcast<&evolved::to_v3>,
                       annal::upcast<&evolved::to_v4>,
                       annal::upcast_json<"order.comment", 1, &evolved::comment_to_note>> {};

namespace plain {

// The same event types in a variant with no upcasters: those above are registered for
// evolved::event, not for its structs.
using event = std::variant<evolved::item_added, evolved::order_noted>;

}  // namespace plain

namespace {

constexpr std::size_t event_count = 100'000;
constexpr int runs = 7;
const std::string note = "gift wrapped, deliver to the side door after six";

std::vector<annal::recorded_event> stored(const std::string& type, std::uint32_t version,
                                          const std::string& (*payload)(std::size_t)) {
  std::vector<annal::recorded_event> events(event_count);
  for (std::size_t i = 0; i < event_count; ++i) {
    auto& e = events[i];
    e.position = i + 1;
    e.stream_id = "order-" + std::to_string(i % 1000);
    e.type = type;
    e.type_version = version;
    e.payload = payload(i);
  }
  return events;
}

std::string scratch;
const std::string& payload_v4(std::size_t i) {
  scratch = R"({"sku":"sku-)" + std::to_string(i) + R"(","price_cents":)" +
            std::to_string(i % 9000) + R"(,"quantity":3,"note":")" + note + R"("})";
  return scratch;
}
const std::string& payload_v3(std::size_t i) {
  scratch = R"({"sku":"sku-)" + std::to_string(i) + R"(","price":)" + std::to_string(i % 90) +
            R"(.25,"quantity":3,"note":")" + note + R"("})";
  return scratch;
}
const std::string& payload_v1(std::size_t i) {
  scratch = R"({"sku":"sku-)" + std::to_string(i) + R"(","euros":)" + std::to_string(i % 90) +
            R"(.25,"note":")" + note + R"("})";
  return scratch;
}
const std::string& payload_note(std::size_t i) {
  scratch = R"({"text":"note )" + std::to_string(i) + " " + note + R"("})";
  return scratch;
}
const std::string& payload_comment(std::size_t i) {
  scratch = R"({"body":"note )" + std::to_string(i) + " " + note + R"("})";
  return scratch;
}

// The median time to decode every event with Variant's codec, in nanoseconds an event.
template <class Variant>
double median_ns(const std::vector<annal::recorded_event>& events) {
  std::vector<double> times;
  std::size_t decoded = 0;
  for (int r = 0; r < runs; ++r) {
    auto start = std::chrono::steady_clock::now();
    for (const auto& e : events) {
      annal::event_codec<Variant>::for_each_decoded(e,
                                                    [&](Variant&& v) { decoded += v.index() + 1; });
    }
    std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
    times.push_back(took.count() / static_cast<double>(events.size()));
  }
  if (decoded == 0) std::puts("nothing decoded");
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void report(const char* what, double ns, double ceiling_ns) {
  std::printf("%-58s %8.0f ns/event  %5.2fx\n", what, ns, ns / ceiling_ns);
}

}  // namespace

int main() {
  std::printf(
      "upcast: %zu events of about 120 bytes, median of %d runs; ratios to the ceiling, a "
      "direct decode of today's version by a codec with no upcasters\n",
      event_count, runs);
  auto v4 = stored("order.item_added", 4, payload_v4);
  auto v3 = stored("order.item_added", 3, payload_v3);
  auto v1 = stored("order.item_added", 1, payload_v1);
  auto notes = stored("order.noted", 1, payload_note);
  auto comments = stored("order.comment", 1, payload_comment);

  double ceiling = median_ns<plain::event>(v4);
  report("ceiling: item_added v4, no upcasters registered", ceiling, ceiling);
  report("item_added v4, upcasters registered (not needed)", median_ns<evolved::event>(v4),
         ceiling);
  report("item_added v3 -> v4 (1 typed step)", median_ns<evolved::event>(v3), ceiling);
  report("item_added v1 -> v2 -> v3 -> v4 (3 typed steps)", median_ns<evolved::event>(v1), ceiling);
  double note_ceiling = median_ns<plain::event>(notes);
  report("ceiling: order.noted, no upcasters registered", note_ceiling, note_ceiling);
  report("order.comment -> order.noted (1 raw-JSON step)", median_ns<evolved::event>(comments),
         note_ceiling);
  return 0;
}
