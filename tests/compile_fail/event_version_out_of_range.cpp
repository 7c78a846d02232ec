// An event's version runs from 1: version 0 cannot be registered.
// expect: annal: an event's version runs from 1 to 65535
#include <annal/codec.hpp>

struct versioned {
  static constexpr std::string_view type = "versioned";
  static constexpr int version = 0;
  int value;
};

int main() { annal::event_codec<std::variant<versioned>>::encode(versioned{1}); }
