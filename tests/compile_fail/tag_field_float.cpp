// A tag's value must have one exact text: a floating-point field cannot be a tag field.
// expect: annal: a tag field must be a string, an integer, an enum or a uuid
#include <annal/codec.hpp>

struct measured {
  static constexpr std::string_view type = "measured";
  static constexpr std::array tag_fields = {std::string_view("value")};
  double value;
};

int main() { annal::event_codec<std::variant<measured>>::encode(measured{1.5}); }
