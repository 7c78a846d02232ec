// A tag field must name a field of the event.
// expect: annal: an entry of tag_fields names no field of the event
#include <annal/codec.hpp>

struct subscribed {
  static constexpr std::string_view type = "subscribed";
  static constexpr std::array tag_fields = {std::string_view("course=course")};
  std::string course_id;
};

int main() { annal::event_codec<std::variant<subscribed>>::encode(subscribed{"c1"}); }
