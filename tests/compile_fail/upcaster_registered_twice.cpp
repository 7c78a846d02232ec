// The same stored type read by an upcaster of the variant and one of a struct is refused.
// expect: annal: two upcasters read the same stored type and version
#include <annal/codec.hpp>

struct created {
  static constexpr std::string_view type = "order.created";
  int value;
};
using events = std::variant<created>;

template <>
struct annal::upcasters_of<created>
    : annal::upcasters<annal::rename<"order.placed", "order.created">> {};
template <>
struct annal::upcasters_of<events>
    : annal::upcasters<annal::rename<"order.placed", "order.created">> {};

int main() { annal::event_codec<events>::encode(created{1}); }
