// group_length(): how many queued appends one commit group takes.
#include <catch2/catch.hpp>
#include <deque>
#include <vector>

#include "core/commit_group.hpp"

using annal::event_data;
using annal::detail::group_length;
using annal::detail::group_limits;

namespace {

// `count` events of `bytes` payload bytes each.
std::vector<event_data> batch(std::size_t count, std::size_t bytes) {
  std::vector<event_data> events(count);
  for (auto& e : events) e.payload = std::string(bytes, 'x');
  return events;
}

std::size_t length_of(const std::deque<std::vector<event_data>>& queue, group_limits limits) {
  return group_length(queue, limits, [](const std::vector<event_data>& b) {
    return std::span<const event_data>(b);
  });
}

}  // namespace

TEST_CASE("a commit group takes the queue up to its event and byte limits", "[commit_group]") {
  std::deque<std::vector<event_data>> queue;
  for (int i = 0; i < 10; ++i) queue.push_back(batch(3, 10));
  CHECK(length_of(queue, {}) == 10);
  CHECK(length_of(queue, {9, 1000}) == 3);   // 9 events: three batches of 3
  CHECK(length_of(queue, {10, 1000}) == 3);  // a fourth batch would make 12
  CHECK(length_of(queue, {100, 60}) == 2);   // 60 bytes: two batches of 30
  CHECK(length_of({}, {}) == 0);
}

TEST_CASE("a commit group always takes its first append, however large", "[commit_group]") {
  std::deque<std::vector<event_data>> queue{batch(50, 1000), batch(1, 1)};
  CHECK(length_of(queue, {10, 100}) == 1);
}
