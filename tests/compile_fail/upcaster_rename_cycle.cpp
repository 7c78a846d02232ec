// Renames that lead back to where they started are refused where they are registered.
// expect: annal: the type renames form a cycle
#include <annal/codec.hpp>

struct created {
  static constexpr std::string_view type = "order.created";
  int value;
};
using events = std::variant<created>;

template <>
struct annal::upcasters_of<events>
    : annal::upcasters<annal::rename<"order.placed", "order.opened">,
                       annal::rename<"order.opened", "order.placed">> {};

int main() { annal::event_codec<events>::encode(created{1}); }
