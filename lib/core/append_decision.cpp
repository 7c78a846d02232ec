// decide_append() and decide_recorded_append(): the append rule, once for every backend.
#include "core/append_decision.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "annal/error.hpp"

namespace annal::detail {
namespace {

using verdict = append_decision::verdict;

// Whether `expected` agrees with a batch stored from version `first_version`: a retry must say
// what the original append said, or nothing.
bool agrees(expected_version expected, std::uint64_t first_version) {
  switch (expected.type()) {
    case expected_version::kind::exact:
      return expected.version() + 1 == first_version;
    case expected_version::kind::no_stream:
      return first_version == 1;
    case expected_version::kind::any:
    case expected_version::kind::stream_exists:
      return true;
  }
  return false;
}

append_decision duplicate(std::size_t index, event_place place, std::uint64_t current) {
  append_decision d;
  d.outcome = verdict::duplicate_event_id;
  d.event_index = index;
  d.place = std::move(place);
  d.current_version = current;
  return d;
}

// The stored result when every event of `events` sits in `stream_id` at consecutive versions
// from `first`; nullopt otherwise.
std::optional<append_result> stored_run(std::string_view stream_id,
                                        std::span<const event_data> events,
                                        const event_place& first, place_lookup lookup) {
  std::uint64_t last_position = first.position;
  for (std::size_t i = 1; i < events.size(); ++i) {
    auto place = lookup(events[i].id);
    if (!place || place->stream_id != stream_id ||
        place->stream_version != first.stream_version + i) {
      return std::nullopt;
    }
    last_position = place->position;
  }
  return append_result{first.position, last_position, first.stream_version + events.size() - 1,
                       false};
}

}  // namespace

append_decision decide_append(std::string_view stream_id, expected_version expected,
                              std::span<const event_data> events, std::uint64_t current_version,
                              bool tombstoned, place_lookup lookup) {
  append_decision d;
  d.current_version = current_version;
  if (auto first = lookup(events[0].id)) {
    if (first->stream_id == stream_id && agrees(expected, first->stream_version)) {
      if (auto run = stored_run(stream_id, events, *first, lookup)) {
        d.outcome = verdict::retry;
        d.stored = *run;
        return d;
      }
    }
    return duplicate(0, std::move(*first), current_version);
  }
  for (std::size_t i = 1; i < events.size(); ++i) {
    if (auto place = lookup(events[i].id)) return duplicate(i, std::move(*place), current_version);
  }
  if (tombstoned) {
    d.outcome = verdict::stream_deleted;
  } else if (!expected.matches(current_version)) {
    d.outcome = verdict::wrong_expected_version;
  }
  return d;
}

append_decision decide_recorded_append(std::span<const recorded_event> events, std::uint64_t head,
                                       std::uint64_t current_version, bool tombstoned,
                                       place_lookup lookup) {
  append_decision d;
  d.current_version = current_version;
  if (events[0].position != head + 1) {
    d.outcome = verdict::wrong_position;
    d.required_position = head + 1;
    return d;
  }
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (auto place = lookup(events[i].id)) return duplicate(i, std::move(*place), current_version);
  }
  if (tombstoned) {
    d.outcome = verdict::stream_deleted;
  } else if (events[0].stream_version != current_version + 1) {
    d.outcome = verdict::wrong_expected_version;
  }
  return d;
}

std::optional<std::uint64_t> first_condition_match(const query& q, std::uint64_t after,
                                                   std::uint64_t committed_head,
                                                   std::uint64_t log_start,
                                                   condition_probe committed_lookup,
                                                   std::span<const accepted_batch> group) {
  if (after < committed_head) {
    if (q.matches_all()) return std::max(after + 1, log_start);
    if (auto found = committed_lookup(q, after)) return found;
  }
  for (const auto& batch : group) {
    for (std::size_t i = 0; i < batch.events.size(); ++i) {
      const event_data& e = batch.events[i];
      if (batch.first_position + i > after && q.matches(batch.stream_id, e.type, e.tags)) {
        return batch.first_position + i;
      }
    }
  }
  return std::nullopt;
}

append_decision decide_conditional_append(std::string_view stream_id, expected_version expected,
                                          std::span<const event_data> events,
                                          std::uint64_t current_version, bool tombstoned,
                                          place_lookup lookup, const append_condition& condition,
                                          std::uint64_t head, condition_probe probe) {
  if (condition.after > head) {
    append_decision d;
    d.outcome = verdict::after_beyond_head;
    d.current_version = current_version;
    d.head = head;
    return d;
  }
  append_decision d =
      decide_append(stream_id, expected, events, current_version, tombstoned, lookup);
  if (d.outcome != verdict::write) return d;
  if (auto conflict = probe(condition.fail_if_events_match, condition.after)) {
    d.outcome = verdict::condition_failed;
    d.conflicting_position = *conflict;
  }
  return d;
}

void enforce(const append_decision& d, std::string_view stream_id, expected_version expected,
             std::span<const event_data> events, std::uint64_t after) {
  switch (d.outcome) {
    case verdict::write:
    case verdict::retry:
      return;
    case verdict::duplicate_event_id:
      throw duplicate_event_id(events[d.event_index].id.to_string(), d.place.stream_id,
                               d.place.stream_version);
    case verdict::stream_deleted:
      throw stream_deleted(std::string(stream_id));
    case verdict::wrong_expected_version:
    case verdict::wrong_position:  // decide_append() never decides it
      throw wrong_expected_version(std::string(stream_id), expected.to_string(), d.current_version);
    case verdict::condition_failed:
      throw append_condition_failed(after, d.conflicting_position);
    case verdict::after_beyond_head:
      throw invalid_argument(
          fmt::format("the append's condition is after position {}, beyond the head, position {}",
                      after, d.head));
  }
}

void enforce(const append_decision& d, std::span<const recorded_event> events) {
  const recorded_event& first = events[0];
  switch (d.outcome) {
    case verdict::write:
    case verdict::retry:
      return;
    case verdict::duplicate_event_id:
      throw duplicate_event_id(events[d.event_index].id.to_string(), d.place.stream_id,
                               d.place.stream_version);
    case verdict::stream_deleted:
      throw stream_deleted(first.stream_id);
    case verdict::wrong_expected_version:
      throw wrong_expected_version(first.stream_id,
                                   expected_version::exact(first.stream_version - 1).to_string(),
                                   d.current_version);
    case verdict::wrong_position:
      throw invalid_argument(fmt::format(
          "a recorded batch must start at position {} (the head + 1), not at position {}",
          d.required_position, first.position));
    case verdict::condition_failed:  // recorded batches carry no condition
    case verdict::after_beyond_head:
      throw invalid_argument("a recorded batch carries no condition");
  }
}

}  // namespace annal::detail
