// A projection handler that does not accept every event type of the variant does not compile.
// expect: annal: the handler of a sqlite_projection must be callable as
#include <annal/projection.hpp>

struct created {
  static constexpr std::string_view type = "thing.created";
};
struct renamed {
  static constexpr std::string_view type = "thing.renamed";
};
struct only_created {
  void operator()(const created&, const annal::recorded_event&,
                  annal::read_model_transaction&) const {}
};

int main() {
  annal::sqlite_projection<std::variant<created, renamed>>(
      "things", 1, {"things"}, [](annal::read_model_transaction&) {}, only_created{});
}
