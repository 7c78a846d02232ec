// An event type with a constructor cannot be reflected: the codec says so in plain words.
// expect: annal: event and state types must be plain aggregate structs
#include <annal/codec.hpp>

struct has_constructor {
  static constexpr std::string_view type = "bad.event";
  explicit has_constructor(int v) : value(v) {}
  int value;
};

int main() { annal::event_codec<std::variant<has_constructor>>::encode(has_constructor{1}); }
