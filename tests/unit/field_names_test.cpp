// Tests of the compile-time field names of structs and the names of enum values.
#include "annal/detail/field_names.hpp"

#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "annal/detail/enum_names.hpp"
#include "annal/detail/pretty_name.hpp"

namespace field_names_types {

struct line {
  std::string sku;
  int quantity;
  double unit_price;
};

struct order_created {
  static constexpr std::string_view type = "order.created";
  std::string customer;
  std::vector<line> lines;
  std::optional<std::string> note;
  std::map<std::string, int> tags;
  bool rush;
};

struct empty {};

struct outer {
  struct nested {
    int first_;
    std::array<int, 2> second2;
  };
};

template <class X>
struct wrapper {
  X value;
  std::map<int, std::vector<X>> by_key;
};

struct awkward_types {
  void (*callback)(int);
  std::function<int(double)> handler;
  const int constant;
  std::map<std::string, std::pair<int, int>> pairs;
};

struct renamed {
  static constexpr std::array<std::string_view, 2> fields{"first-name", "Age"};
  std::string first_name;
  int age;
};

// A data member called `fields` is a field like any other, not an override.
struct has_fields_member {
  std::vector<std::string> fields;
  int count;
};

struct unicode_name {
  int caf\u00e9;
  int plain;
};

struct many {
  int f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17, f18, f19, f20,
      f21, f22, f23, f24, f25, f26, f27, f28, f29, f30, f31, f32, f33, f34, f35, f36, f37, f38, f39;
};

// Arrays of classes with destructors made Boost.PFR's own field count crash GCC 12.
struct arrays_of_classes {
  std::array<std::string, 3> names;
  int middle;
  std::array<line, 2> lines;
};

struct no_default {
  no_default() = delete;
  explicit no_default(int) {}
};

struct not_default_constructible {
  int first;
  no_default second;
  std::string third;
};

enum class status { open, paid = 5, cancelled = -7 };
enum color { red, green, blue };
enum class bounds : int { lowest = -128, highest = 127, above = 128, below = -129 };
enum class small : std::uint8_t { low = 3, high = 200 };

}  // namespace field_names_types

namespace t = field_names_types;
using annal::detail::enum_name;
using annal::detail::enum_value;
using annal::detail::field_names;

// The names are constants, usable at compile time.
static_assert(field_names<t::line>()[0] == "sku");
static_assert(field_names<t::line>().size() == 3);

TEST_CASE("field names are the member names in declaration order", "[field_names]") {
  auto names = field_names<t::line>();
  REQUIRE(names.size() == 3);
  CHECK(names[0] == "sku");
  CHECK(names[1] == "quantity");
  CHECK(names[2] == "unit_price");
  auto order = field_names<t::order_created>();
  CHECK(std::vector<std::string_view>(order.begin(), order.end()) ==
        std::vector<std::string_view>{"customer", "lines", "note", "tags", "rush"});
}

TEST_CASE("static members are not fields", "[field_names]") {
  CHECK(field_names<t::order_created>().size() == 5);
}

TEST_CASE("a struct without fields has no names", "[field_names]") {
  CHECK(field_names<t::empty>().empty());
}

TEST_CASE("names of nested classes and class templates are read", "[field_names]") {
  CHECK(field_names<t::outer::nested>()[0] == "first_");
  CHECK(field_names<t::outer::nested>()[1] == "second2");
  CHECK(field_names<t::wrapper<std::map<int, int>>>()[0] == "value");
  CHECK(field_names<t::wrapper<std::map<int, int>>>()[1] == "by_key");
}

TEST_CASE("field types with parentheses, braces and commas do not confuse the parser",
          "[field_names]") {
  auto names = field_names<t::awkward_types>();
  CHECK(names[0] == "callback");
  CHECK(names[1] == "handler");
  CHECK(names[2] == "constant");
  CHECK(names[3] == "pairs");
}

TEST_CASE("extended identifiers are read as UTF-8", "[field_names]") {
  CHECK(field_names<t::unicode_name>()[0] == "caf\xc3\xa9");
  CHECK(field_names<t::unicode_name>()[1] == "plain");
}

TEST_CASE("structs with many fields are read", "[field_names]") {
  auto names = field_names<t::many>();
  REQUIRE(names.size() == 40);
  for (std::size_t i = 0; i < names.size(); ++i) {
    CHECK(names[i] == "f" + std::to_string(i));
  }
}

TEST_CASE("fields are counted and named in structs holding arrays of classes", "[field_names]") {
  STATIC_REQUIRE(annal::detail::field_count<t::arrays_of_classes> == 3);
  auto names = field_names<t::arrays_of_classes>();
  CHECK(names[0] == "names");
  CHECK(names[1] == "middle");
  CHECK(names[2] == "lines");
  t::arrays_of_classes value{{"a", "b", "c"}, 1, {}};
  annal::detail::get_field<2>(value)[1].sku = "changed";
  CHECK(value.lines[1].sku == "changed");
  CHECK(annal::detail::get_field<0>(value)[2] == "c");
}

TEST_CASE("fields are counted in structs that cannot be value-initialized", "[field_names]") {
  STATIC_REQUIRE(annal::detail::field_count<t::not_default_constructible> == 3);
  CHECK(field_names<t::not_default_constructible>()[2] == "third");
}

TEST_CASE("field types keep their constness", "[field_names]") {
  STATIC_REQUIRE(std::is_same_v<annal::detail::field_type<2, t::awkward_types>, const int>);
  STATIC_REQUIRE(std::is_same_v<annal::detail::field_type<0, t::line>, std::string>);
}

TEST_CASE("a static fields array overrides the member names", "[field_names]") {
  CHECK(field_names<t::renamed>()[0] == "first-name");
  CHECK(field_names<t::renamed>()[1] == "Age");
}

TEST_CASE("a data member called fields is not taken as the override", "[field_names]") {
  CHECK(field_names<t::has_fields_member>()[0] == "fields");
  CHECK(field_names<t::has_fields_member>()[1] == "count");
}

TEST_CASE("the names stay valid and distinct across calls", "[field_names]") {
  const auto& first = field_names<t::line>();
  const auto& second = field_names<t::line>();
  CHECK(&first == &second);
  CHECK(first[0].data() != first[1].data());
}

TEST_CASE("named enum values have their enumerator names", "[enum_names]") {
  CHECK(enum_name(t::status::open) == "open");
  CHECK(enum_name(t::status::paid) == "paid");
  CHECK(enum_name(t::status::cancelled) == "cancelled");
  CHECK(enum_name(t::green) == "green");
  CHECK(enum_name(t::small::low) == "low");
}

TEST_CASE("enum values without an enumerator have no name", "[enum_names]") {
  CHECK(enum_name(static_cast<t::status>(3)).empty());
  CHECK(enum_name(static_cast<t::color>(7)).empty());
}

TEST_CASE("enumerators are named only within -128..127", "[enum_names]") {
  CHECK(enum_name(t::bounds::lowest) == "lowest");
  CHECK(enum_name(t::bounds::highest) == "highest");
  CHECK(enum_name(t::bounds::above).empty());
  CHECK(enum_name(t::bounds::below).empty());
  CHECK(enum_name(t::small::high).empty());  // 200: outside the range although it fits uint8.
}

TEST_CASE("enum values are found by name", "[enum_names]") {
  CHECK(enum_value<t::status>("paid") == t::status::paid);
  CHECK(enum_value<t::status>("cancelled") == t::status::cancelled);
  CHECK(enum_value<t::color>("blue") == t::blue);
  CHECK_FALSE(enum_value<t::status>("Paid").has_value());
  CHECK_FALSE(enum_value<t::status>("").has_value());
  CHECK_FALSE(enum_value<t::bounds>("above").has_value());
}

TEST_CASE("type names are the C++ spelling", "[pretty_name]") {
  CHECK(annal::detail::type_name<t::line>() == "field_names_types::line");
  CHECK(annal::detail::type_name<int>() == "int");
}
