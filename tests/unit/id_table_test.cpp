// Tests of the segment backend's id table: the sorted run, out-of-order ids, and growth.
#include "segment/id_table.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <random>

using annal::uuid;
using annal::segment::id_table;

namespace {

uuid random_id(std::mt19937_64& random) {
  std::array<std::uint8_t, 16> bytes;
  for (auto& b : bytes) b = static_cast<std::uint8_t>(random());
  bytes[0] |= 1;  // never nil
  return uuid(bytes);
}

}  // namespace

TEST_CASE("increasing ids are found, and ids never stored are not", "[id_table]") {
  id_table table;
  std::vector<uuid> ids;
  for (int i = 0; i < 5000; ++i) ids.push_back(uuid::v7());
  for (std::size_t i = 0; i < ids.size(); ++i) table.insert(ids[i], i + 1);
  CHECK(table.size() == 5000);
  for (std::size_t i = 0; i < ids.size(); ++i) REQUIRE(table.find(ids[i]) == i + 1);
  CHECK_FALSE(table.find(uuid::v7()));  // newer than every stored id
  std::mt19937_64 random(7);
  for (int i = 0; i < 1000; ++i) REQUIRE_FALSE(table.find(random_id(random)));
}

TEST_CASE("ids in any order are found, across the table's growth", "[id_table]") {
  std::mt19937_64 random(42);
  id_table table;
  std::map<uuid, std::uint64_t> expected;
  for (std::uint64_t position = 1; position <= 20000; ++position) {
    uuid id = position % 3 == 0 ? uuid::v7() : random_id(random);
    if (expected.count(id)) continue;
    table.insert(id, position);
    expected[id] = position;
    if (position % 997 == 0) {
      for (const auto& [known, at] : expected) REQUIRE(table.find(known) == at);
    }
  }
  CHECK(table.size() == expected.size());
  for (const auto& [id, at] : expected) REQUIRE(table.find(id) == at);
}

TEST_CASE("entries_from returns exactly the entries at or after a position", "[id_table]") {
  std::mt19937_64 random(3);
  id_table table;
  std::map<std::uint64_t, uuid> by_position;
  for (std::uint64_t position = 1; position <= 3000; ++position) {
    uuid id = position % 5 == 0 ? random_id(random) : uuid::v7();
    table.insert(id, position);
    by_position[position] = id;
  }
  for (std::uint64_t from : {1u, 2u, 1500u, 2999u, 3000u, 3001u}) {
    auto entries = table.entries_from(from);
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.second < b.second; });
    REQUIRE(entries.size() == (from > 3000 ? 0 : 3000 - from + 1));
    for (const auto& [id, position] : entries) REQUIRE(by_position[position] == id);
  }
}

TEST_CASE("a cleared table is empty", "[id_table]") {
  id_table table;
  uuid id = uuid::v7();
  table.insert(id, 1);
  table.clear();
  CHECK(table.size() == 0);
  CHECK_FALSE(table.find(id));
}
