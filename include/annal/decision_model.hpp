// Decision models: states of several projections read with one query, and an append on the
// condition that none of the events they read has changed since (docs/dcb.md).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "annal/aggregate.hpp"
#include "annal/codec.hpp"
#include "annal/error.hpp"
#include "annal/event.hpp"
#include "annal/event_store.hpp"
#include "annal/expected_version.hpp"
#include "annal/query.hpp"

namespace annal {

/// Events read per event_store::read_events() call by build_decision_model(): more matching
/// events are read in several pages of the same query.
inline constexpr std::size_t decision_page_size = 1024;

/// One part of a decision model: a state folded from the events a query matches, such as "course
/// c1: defined? its capacity, its subscribers" or "is the user name ada taken?". Build one from
/// typed events with tagged_projection(), or from a query and a fold over recorded events.
///
/// Copyable. Immutable once built: one object may serve several threads at once when its fold
/// function may (build_decision_model() calls it on the calling thread only).
template <class State>
class decision_projection {
 public:
  using state_type = State;
  /// Folds one stored event that the query matched into the state, and returns the new state.
  using fold_function = std::function<State(State, const recorded_event&)>;

  /// The events `matching` matches, folded by `fold` into `initial` in position order. Throws
  /// annal::invalid_argument for an empty `fold`.
  decision_projection(query matching, State initial, fold_function fold)
      : matching_(std::move(matching)), initial_(std::move(initial)), fold_(std::move(fold)) {
    if (!fold_) throw invalid_argument("a decision_projection needs a fold function");
  }

  /// The query of the events this part folds. A decision's condition covers it.
  const query& matching() const noexcept { return matching_; }
  /// The state before any matching event.
  const State& initial() const noexcept { return initial_; }
  /// Folds `event` into `state`. Throws what the fold function throws.
  State fold(State state, const recorded_event& event) const {
    return fold_(std::move(state), event);
  }

 private:
  query matching_;
  State initial_;
  fold_function fold_;
};

/// A decision_projection of typed events, folded as an aggregate's are. It matches the events of
/// the types `Event` reads (a std::variant of event structs, see event_codec; the old type names
/// its upcasters read included) that carry every one of `tags` (any events of those types when
/// `tags` is empty); it decodes each with event_codec<Event> and applies it to the state with the
/// state's reducers (`State apply(State, const E&)` or a member `void apply(const E&)` for every
/// alternative E, checked at compile time, as annal::evolve() needs).
///
/// Throws annal::invalid_argument when query::of() refuses the item: a tag validate_tag()
/// refuses (a stream's tag, stream_tag(), is accepted), more than max_tags_per_event tags or
/// max_item_types types. The fold throws the errors of event_codec::for_each_decoded() and what
/// a reducer throws.
template <class State, class Event>
decision_projection<State> tagged_projection(std::vector<std::string> tags,
                                             State initial = State{}) {
  static_assert(detail::check_reducers<State, Event>::value);
  query matching =
      query::of({{.types = event_codec<Event>::stored_type_names(), .tags = std::move(tags)}});
  return decision_projection<State>(
      std::move(matching), std::move(initial), [](State state, const recorded_event& recorded) {
        event_codec<Event>::for_each_decoded(
            recorded, [&](Event&& event) { state = evolve(std::move(state), event); });
        return state;
      });
}

/// Encodes `event`, an alternative of `Variant` or a `Variant`, with event_codec<Variant>::encode()
/// (a fresh id, the struct's type name and version, its fields as JSON, the tags its tag_fields
/// or tags() function give, `metadata`) and adds `tags` to its tags, keeping one of each. The
/// store checks the tags when the event is appended (annal::invalid_argument). Throws what
/// encode() throws.
template <class Variant, class E>
event_data encode_tagged(const E& event, const std::vector<std::string>& tags,
                         event_metadata metadata = {}) {
  event_data data = event_codec<Variant>::encode(event, std::move(metadata));
  data.tags.insert(data.tags.end(), tags.begin(), tags.end());
  std::sort(data.tags.begin(), data.tags.end());
  data.tags.erase(std::unique(data.tags.begin(), data.tags.end()), data.tags.end());
  return data;
}

/// What build_decision_model() read: the state of each part, and the condition under which a
/// decision made from them may be appended.
template <class... States>
struct decision_model {
  /// The parts' states, in the order of the parts.
  std::tuple<States...> states;
  /// fail_if_events_match is exactly the union of the parts' queries, and `after` the head of the
  /// log the read saw (query_page::read_up_to of its last page): an append under this condition
  /// fails when an event that any part would fold was stored after the read, and only then.
  append_condition condition;
};

/// What a decide function returns to decide_and_append(): the events to append, the stream they
/// go to and what that stream's version must be.
struct decision {
  /// The stream the events are appended to; by default dcb_stream_id, the stream of the
  /// conditional appends that name none.
  std::string stream_id{dcb_stream_id};
  /// Checked atomically with the condition. any(), the default, leaves the stream free; a stream
  /// whose events must not change under the decision belongs in a part's query instead
  /// (stream_tag()), since annal::wrong_expected_version is not retried.
  expected_version expected = expected_version::any();
  /// The events, usually made with encode_tagged(); none means that nothing is appended.
  std::vector<event_data> events;
};

/// What decide_and_append() did.
template <class... States>
struct decision_result {
  /// The parts' states that the last run of decide saw.
  std::tuple<States...> states;
  /// The append, or nothing when decide returned no events.
  std::optional<append_result> appended;
  /// How many times decide ran: 1 plus the conflicts retried.
  unsigned attempts = 0;
};

/// Builds a decision model with one query: reads the events that the union of the parts' queries
/// matches, in position order (read_events() of that union, in pages of decision_page_size
/// events, each page after the last event of the page before), and folds each event into the
/// state of every part whose query matches it (query::matches()), and of no other part.
///
/// Throws annal::invalid_argument when the union has more than max_query_items items, what
/// event_store::read_events() throws (annal::invalid_argument on a backend that does not serve
/// queries) and what a fold throws. Thread-safe as the store is: many threads may build models
/// from one store at once, with parts whose folds may run on several threads. Keeps no reference
/// to the store or the parts after it returns.
template <class... States>
decision_model<States...> build_decision_model(event_store& store,
                                               const decision_projection<States>&... parts) {
  static_assert(sizeof...(States) > 0, "annal: a decision model needs at least one projection");
  decision_model<States...> model{{parts.initial()...}, {(... | parts.matching()), 0}};
  std::uint64_t after = 0;
  for (;;) {
    query_page page =
        store.read_events(model.condition.fail_if_events_match, after, decision_page_size);
    for (const recorded_event& event : page.events) {
      std::apply(
          [&](States&... states) {
            ((parts.matching().matches(event) ? void(states = parts.fold(std::move(states), event))
                                              : void()),
             ...);
          },
          model.states);
    }
    model.condition.after = page.read_up_to;
    if (page.events.size() < decision_page_size) return model;
    after = page.events.back().position;
  }
}

namespace detail {

/// A short random pause before a conflicted decision is read again, growing with each attempt, so
/// that deciders that conflicted do not meet again in step.
inline void pause_before_decision_retry(unsigned attempt) {
  thread_local std::minstd_rand random{std::random_device{}()};
  unsigned ceiling_us = 100u << std::min(attempt, 7u);
  std::this_thread::sleep_for(std::chrono::microseconds(random() % ceiling_us));
}

}  // namespace detail

/// Makes a decision across streams and appends it: builds the decision model of `parts`
/// (build_decision_model()), runs `decide(const States&...)`, which returns an annal::decision,
/// and appends its events under the model's condition (the union of the parts' queries, after
/// the position the read saw) and the decision's expected version. When the condition fails
/// (annal::append_condition_failed: an event a part folds was stored after the read) it reads
/// again and runs decide again on the new states, after a short random pause that grows with each
/// attempt, up to `max_attempts` runs of decide in all; then it rethrows
/// append_condition_failed. Nothing else is retried.
///
/// When decide returns no events nothing is appended. What decide throws (a refusal of the
/// domain) propagates at once, nothing appended. Throws annal::invalid_argument for a
/// `max_attempts` of 0, and what build_decision_model() and event_store::append() throw
/// (annal::wrong_expected_version when the decision's expected version does not hold).
///
/// Thread-safe as the store is: decisions on many threads (or processes) at once are kept
/// consistent by the store's conditional append, not by a lock here. decide runs on the calling
/// thread, possibly several times: it must have no other effect than its result. Keeps no
/// reference to the store, decide or the parts after it returns.
template <class Decide, class... States>
decision_result<States...> decide_and_append(event_store& store, unsigned max_attempts,
                                             Decide&& decide,
                                             const decision_projection<States>&... parts) {
  static_assert(std::is_invocable_r_v<decision, Decide&, const States&...>,
                "annal: decide must be callable as decide(const States&...) with the states of "
                "the parts, in their order, and return an annal::decision");
  if (max_attempts == 0) throw invalid_argument("decide_and_append needs at least one attempt");
  for (unsigned attempt = 1;; ++attempt) {
    decision_model<States...> model = build_decision_model(store, parts...);
    decision made = std::apply(
        [&](const States&... states) -> decision { return std::invoke(decide, states...); },
        std::as_const(model.states));
    if (made.events.empty()) return {std::move(model.states), std::nullopt, attempt};
    try {
      append_result appended =
          store.append(made.stream_id, made.expected, made.events, model.condition);
      return {std::move(model.states), appended, attempt};
    } catch (const append_condition_failed&) {
      if (attempt >= max_attempts) throw;
      detail::pause_before_decision_retry(attempt);
    }
  }
}

}  // namespace annal
