// Tags are stored in the clear: a personal field cannot be one.
// expect: annal: a personal field cannot be a tag field
#include <annal/codec.hpp>

struct registered {
  static constexpr std::string_view type = "registered";
  static constexpr std::string_view subject_field = "user_id";
  static constexpr std::array tag_fields = {std::string_view("email")};
  std::string user_id;
  annal::personal<std::string> email;
};

int main() { annal::event_codec<std::variant<registered>>::encode(registered{"u1", {"a@b"}}); }
