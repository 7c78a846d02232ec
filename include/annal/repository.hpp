// Loading and saving typed aggregates in an event store, with optimistic concurrency.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "annal/aggregate.hpp"
#include "annal/codec.hpp"
#include "annal/error.hpp"
#include "annal/event_store.hpp"

namespace annal {

/// An aggregate's state together with the stream version it reflects.
template <class State>
struct versioned {
  State state{};
  /// The number of events folded into `state`; 0 for an aggregate with no events yet.
  std::uint64_t version = 0;
};

/// What repository::update() did.
template <class State, class Event>
struct update_result {
  /// The state after the new events, and its version.
  versioned<State> after;
  /// The events decide() returned (and which were appended); may be empty.
  std::vector<Event> events;
  /// How many times decide() ran: 1 plus the number of conflicts retried.
  unsigned attempts = 0;
};

/// Settings of a repository.
struct repository_options {
  /// How many times update() retries after a conflicting append before it gives up and
  /// rethrows annal::wrong_expected_version.
  unsigned max_retries = 5;
  /// Events read per page when loading a stream.
  std::size_t page_size = 1024;
};

/// Loads and saves aggregates whose state is `State` and whose events form the variant
/// `Event` (which is also their codec's type registry, see annal::event_codec). Aggregate `id`
/// lives in the stream "<category>-<id>".
///
/// Thread safety: as thread-safe as the store; a repository holds no mutable state. Lifetime:
/// the store must outlive the repository.
template <class State, class Event>
class repository {
  static_assert(std::is_default_constructible_v<State>,
                "annal: an aggregate state must be default-constructible (its initial state)");
  static_assert(detail::check_reducers<State, Event>::value);

 public:
  using state_type = State;
  using event_type = Event;
  using codec = event_codec<Event>;

  /// Throws annal::invalid_argument for an empty category.
  repository(event_store& store, std::string category, repository_options options = {})
      : store_(&store), category_(std::move(category)), options_(options) {
    if (category_.empty()) throw invalid_argument("a repository needs a category");
    if (options_.page_size == 0) throw invalid_argument("repository page_size must be at least 1");
  }

  /// The stream that holds aggregate `id`. Throws annal::invalid_argument for an empty id or
  /// one that makes the stream id invalid.
  std::string stream_id(std::string_view id) const {
    if (id.empty()) throw invalid_argument("aggregate id is empty");
    std::string stream = category_ + "-" + std::string(id);
    validate_stream_id(stream);
    return stream;
  }

  /// Folds every event of aggregate `id`. An aggregate with no events loads as the default
  /// State at version 0. Throws annal::unknown_event_type or annal::decode_failed when a stored
  /// event does not fit `Event`, and whatever a reducer throws.
  versioned<State> load(std::string_view id) const { return load_from(stream_id(id), {}, 0); }

  /// Like load(), but throws annal::stream_not_found for an aggregate with no events.
  versioned<State> get(std::string_view id) const {
    std::string stream = stream_id(id);
    auto loaded = load_from(stream, {}, 0);
    if (loaded.version == 0) throw stream_not_found(stream);
    return loaded;
  }

  /// Appends `events` to aggregate `id`, expecting it to be at version `expected` (the
  /// version of the state the events were decided on; 0 for a new aggregate). Throws
  /// annal::wrong_expected_version on a conflict, annal::invalid_argument for no events, and
  /// whatever event_store::append() throws.
  append_result save(std::string_view id, std::uint64_t expected, const std::vector<Event>& events,
                     const event_metadata& metadata = {}) {
    std::vector<event_data> batch;
    batch.reserve(events.size());
    for (const auto& e : events) batch.push_back(codec::encode(e, metadata));
    return store_->append(stream_id(id), expected_version::exact(expected), batch);
  }

  /// Loads aggregate `id`, runs `decide(const State&) -> std::vector<Event>` and saves what it
  /// returns with the loaded version as expected version. On a conflict it reloads and runs
  /// decide again, up to repository_options::max_retries times, with a short random pause that
  /// grows with each retry; then it rethrows annal::wrong_expected_version. An exception from
  /// decide (a domain error) propagates unchanged and nothing is written. When decide returns
  /// no events nothing is written.
  template <class Decide>
  update_result<State, Event> update(std::string_view id, Decide&& decide,
                                     const event_metadata& metadata = {}) {
    static_assert(std::is_invocable_r_v<std::vector<Event>, Decide&, const State&>,
                  "annal: decide must be callable as decide(const State&) and return "
                  "std::vector<Event> of the repository's event variant");
    std::string stream = stream_id(id);
    for (unsigned attempt = 1;; ++attempt) {
      versioned<State> current = load_from(stream, {}, 0);
      std::vector<Event> events = decide(std::as_const(current.state));
      if (events.empty()) return {std::move(current), {}, attempt};
      std::vector<event_data> batch;
      batch.reserve(events.size());
      for (const auto& e : events) batch.push_back(codec::encode(e, metadata));
      try {
        auto result = store_->append(stream, expected_version::exact(current.version), batch);
        current.state = fold(std::move(current.state), events);
        current.version = result.next_expected_version;
        return {std::move(current), std::move(events), attempt};
      } catch (const wrong_expected_version&) {
        if (attempt > options_.max_retries) throw;
        pause_before_retry(attempt);
      }
    }
  }

  event_store& store() const noexcept { return *store_; }
  const std::string& category() const noexcept { return category_; }

 private:
  versioned<State> load_from(const std::string& stream, State state, std::uint64_t version) const {
    for (;;) {
      auto page =
          store_->read_stream(stream, version + 1, read_direction::forward, options_.page_size);
      for (const auto& recorded : page) {
        state = evolve(std::move(state), codec::decode(recorded));
        version = recorded.stream_version;
      }
      if (page.size() < options_.page_size) return {std::move(state), version};
    }
  }

  static void pause_before_retry(unsigned attempt) {
    thread_local std::minstd_rand random{std::random_device{}()};
    unsigned ceiling_us = 100u << std::min(attempt, 7u);
    std::this_thread::sleep_for(std::chrono::microseconds(random() % ceiling_us));
  }

  event_store* store_;
  std::string category_;
  repository_options options_;
};

}  // namespace annal
