// Two event types of one variant with the same type name are a compile error.
// expect: annal: two event types in the variant have the same type name
#include <annal/codec.hpp>

struct first {
  static constexpr std::string_view type = "same.name";
  int a;
};
struct second {
  static constexpr std::string_view type = "same.name";
  int b;
};

int main() { annal::event_codec<std::variant<first, second>>::type_names(); }
