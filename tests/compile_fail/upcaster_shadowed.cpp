// An upcaster for a type and version the variant reads itself would never run.
// expect: annal: an upcaster reads a type and version that an alternative of the variant reads
#include <annal/codec.hpp>

struct created {
  static constexpr std::string_view type = "order.created";
  int value;
};
using events = std::variant<created>;
annal::json_event unchanged(nlohmann::json payload) { return {"order.created", 1, payload}; }

template <>
struct annal::upcasters_of<events>
    : annal::upcasters<annal::upcast_json<"order.created", 1, &unchanged>> {};

int main() { annal::event_codec<events>::encode(created{1}); }
