// An event struct without a static type name cannot be registered.
// expect: annal:
#include <annal/codec.hpp>

struct nameless {
  int value;
};

int main() { annal::event_codec<std::variant<nameless>>::type_names(); }
