// A decide function that does not return the aggregate's events is refused by update().
// expect: annal: decide must be callable as decide(const State&)
#include <annal/repository.hpp>

struct created {
  static constexpr std::string_view type = "thing.created";
  int id;
};
struct thing {
  int id = 0;
};
thing apply(thing t, const created& e) {
  t.id = e.id;
  return t;
}

int main() {
  annal::event_store* store = nullptr;
  annal::repository<thing, std::variant<created>> things(*store, "thing");
  things.update("1", [](const thing&) { return 42; });
}
