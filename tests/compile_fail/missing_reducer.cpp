// An aggregate state without an apply() for one of its event types does not compile.
// expect: annal: the aggregate state has no reducer for one of its event types
#include <annal/aggregate.hpp>

struct created {
  static constexpr std::string_view type = "thing.created";
};
struct renamed {
  static constexpr std::string_view type = "thing.renamed";
};
struct thing {
  bool exists = false;
};
thing apply(thing t, const created&) {
  t.exists = true;
  return t;
}

int main() {
  std::variant<created, renamed> event = renamed{};
  annal::evolve(thing{}, event);
}
