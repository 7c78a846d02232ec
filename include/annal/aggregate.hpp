// Folding an aggregate's state from its events: apply reducers over the event variant.
#pragma once

#include <concepts>
#include <utility>
#include <variant>

namespace annal {

/// True when `State` can absorb an event `E`: a free function `State apply(State, const E&)`
/// found by argument-dependent lookup, or a member `void State::apply(const E&)`.
template <class State, class E>
concept applies = requires(State state, const E& event) {
  { apply(std::move(state), event) } -> std::convertible_to<State>;
}
|| requires(State& state, const E& event) { state.apply(event); };

namespace detail {

template <class State, class Variant>
struct check_reducers;

template <class State, class... Events>
struct check_reducers<State, std::variant<Events...>> {
  template <class E>
  static constexpr bool one() {
    static_assert(applies<State, E>,
                  "annal: the aggregate state has no reducer for one of its event types: declare "
                  "`State apply(State, const Event&)` in the state's or the event's namespace, or "
                  "a member `void apply(const Event&)` (the failing pair is in this template's "
                  "arguments)");
    return applies<State, E>;
  }
  static constexpr bool value = (one<Events>() && ...);
};

}  // namespace detail

/// Applies one event of the aggregate's variant to its state and returns the new state.
/// Every alternative of `Variant` must have a reducer (see annal::applies); a missing one is a
/// compile error naming the state and event types. Exceptions from reducers propagate.
template <class State, class Variant>
State evolve(State state, const Variant& event) {
  static_assert(detail::check_reducers<State, Variant>::value);
  std::visit(
      [&state](const auto& e) {
        if constexpr (requires {
                        { apply(std::move(state), e) } -> std::convertible_to<State>;
                      }) {
          state = apply(std::move(state), e);
        } else {
          state.apply(e);
        }
      },
      event);
  return state;
}

/// Folds a range of events (variants) into `state`, in order.
template <class State, class Range>
State fold(State state, const Range& events) {
  for (const auto& event : events) state = evolve(std::move(state), event);
  return state;
}

}  // namespace annal
