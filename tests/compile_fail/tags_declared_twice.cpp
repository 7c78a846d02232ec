// An event declares its tags one way: tag_fields or a tags() function.
// expect: annal: declare an event's tags either with tag_fields or with a tags() function
#include <annal/codec.hpp>

namespace app {
struct subscribed {
  static constexpr std::string_view type = "subscribed";
  static constexpr std::array tag_fields = {std::string_view("course_id")};
  std::string course_id;
};
std::vector<std::string> tags(const subscribed& e) { return {"course:" + e.course_id}; }
}  // namespace app

int main() { annal::event_codec<std::variant<app::subscribed>>::encode(app::subscribed{"c1"}); }
