// How many waiting appends one commit group takes: the cap every grouping backend shares.
#pragma once

#include <cstddef>
#include <span>

#include "annal/event.hpp"

namespace annal::detail {

/// The most one commit group holds, so that one group's write, sync and memory stay bounded
/// however long the queue grows (LevelDB caps its write groups the same way).
struct group_limits {
  std::size_t max_events = 16384;
  std::size_t max_payload_bytes = 32u << 20;
};

/// How many appends from the front of `queue` form the next commit group: the first always
/// (alone it may exceed the limits), then each next one while the group's events and payload
/// bytes stay within `limits`. `events_of(element)` gives an append's events. Pure.
template <class Queue, class EventsOf>
std::size_t group_length(const Queue& queue, group_limits limits, EventsOf events_of) {
  std::size_t count = 0;
  std::size_t events = 0;
  std::size_t bytes = 0;
  for (const auto& element : queue) {
    std::span<const event_data> batch = events_of(element);
    std::size_t batch_bytes = 0;
    for (const auto& e : batch) batch_bytes += e.payload.size();
    if (count > 0 &&
        (events + batch.size() > limits.max_events || bytes + batch_bytes > limits.max_payload_bytes)) {
      break;
    }
    ++count;
    events += batch.size();
    bytes += batch_bytes;
  }
  return count;
}

}  // namespace annal::detail
