// Tests of schema fingerprints: which changes to a state type change its fingerprint.
#include "annal/schema_fingerprint.hpp"

#include <catch2/catch.hpp>

namespace shapes {

enum class colour { red, green };
enum class colour_more { red, green, blue };

struct item {
  std::string sku;
  int quantity;
};
struct base {
  std::string name;
  std::vector<item> items;
  colour tint;
};
struct renamed_type {  // the same shape under another name
  std::string name;
  std::vector<item> items;
  colour tint;
};
struct added_field {
  std::string name;
  std::vector<item> items;
  colour tint;
  bool archived;
};
struct renamed_field {
  std::string title;
  std::vector<item> items;
  colour tint;
};
struct retyped_field {
  std::string name;
  std::vector<item> items;
  int tint;
};
struct item_wide {
  std::string sku;
  long long quantity;
};
struct nested_change {
  std::string name;
  std::vector<item_wide> items;
  colour tint;
};
struct enum_grew {
  std::string name;
  std::vector<item> items;
  colour_more tint;
};
struct bumped {
  static constexpr int snapshot_version = 2;
  std::string name;
  std::vector<item> items;
  colour tint;
};
struct everything {
  std::optional<double> a;
  std::map<std::string, std::uint16_t> b;
  std::array<bool, 3> c;
  std::chrono::system_clock::time_point d;
  annal::uuid e;
};

}  // namespace shapes

using annal::schema_description;
using annal::schema_fingerprint;

TEST_CASE("the description lists field names and kinds, not type names", "[fingerprint]") {
  CHECK(schema_description<shapes::base>() ==
        "{name:string;items:vector<{sku:string;quantity:i32;}>;tint:enum{red=0;green=1;};}");
  CHECK(schema_description<shapes::everything>() ==
        "{a:optional<f64>;b:map<string,u16>;c:array<3,bool>;d:time;e:uuid;}");
  CHECK(schema_description<shapes::bumped>().ends_with("#v=2"));
}

TEST_CASE("renaming the struct keeps the fingerprint", "[fingerprint]") {
  CHECK(schema_fingerprint<shapes::base>() == schema_fingerprint<shapes::renamed_type>());
}

TEST_CASE("every change of shape changes the fingerprint", "[fingerprint]") {
  auto original = schema_fingerprint<shapes::base>();
  CHECK(schema_fingerprint<shapes::added_field>() != original);
  CHECK(schema_fingerprint<shapes::renamed_field>() != original);
  CHECK(schema_fingerprint<shapes::retyped_field>() != original);
  CHECK(schema_fingerprint<shapes::nested_change>() != original);
  CHECK(schema_fingerprint<shapes::enum_grew>() != original);
  CHECK(schema_fingerprint<shapes::bumped>() != original);
}

TEST_CASE("the fingerprint is stable across calls", "[fingerprint]") {
  CHECK(schema_fingerprint<shapes::base>() == schema_fingerprint<shapes::base>());
  CHECK(schema_fingerprint<shapes::base>() != 0);
}
