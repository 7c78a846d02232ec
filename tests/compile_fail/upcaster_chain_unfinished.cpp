// A typed upcaster whose result is neither in the variant nor read by another upcaster.
// expect: annal: a typed upcaster's result is not an event type of the variant
#include <annal/codec.hpp>

struct created {
  static constexpr std::string_view type = "order.created";
  static constexpr int version = 3;
  int value;
};
struct created_v1 {
  static constexpr std::string_view type = "order.created";
  int value;
};
struct created_v2 {
  static constexpr std::string_view type = "order.created";
  static constexpr int version = 2;
  int value;
};
created_v2 to_v2(const created_v1& e) { return {e.value}; }
using events = std::variant<created>;

template <>
struct annal::upcasters_of<events> : annal::upcasters<annal::upcast<&to_v2>> {};

int main() { annal::event_codec<events>::encode(created{1}); }
