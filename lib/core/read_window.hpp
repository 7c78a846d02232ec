// The rules every backend follows to bound a filtered read of the log and say where to go on.
#pragma once

#include <algorithm>
#include <cstdint>

#include "annal/event_store.hpp"

namespace annal::detail {

/// Filtered reads of the global log look at most this many positions per call, so a filter that
/// matches rarely cannot make one call scan the whole log.
inline constexpr std::uint64_t filtered_scan_window = 65536;

/// The first position a read_all() from `from` must not look at, given the log's head.
inline std::uint64_t scan_end(std::uint64_t from, std::uint64_t head, bool filtered) noexcept {
  std::uint64_t end = head + 1;
  return filtered ? std::min(end, from + filtered_scan_window) : end;
}

/// Fills in next_position and end_of_log once a read's events are collected.
inline void finish_slice(log_slice& slice, std::uint64_t from, std::size_t max_count,
                         std::uint64_t scan_end, std::uint64_t head) noexcept {
  if (!slice.events.empty() && slice.events.size() == max_count) {
    slice.next_position = slice.events.back().position + 1;
  } else {
    slice.next_position = std::max(from, scan_end);
  }
  slice.end_of_log = slice.next_position > head;
}

}  // namespace annal::detail
