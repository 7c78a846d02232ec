// A projection: a name, a version, the events it wants and the handler that folds them somewhere.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "annal/codec.hpp"
#include "annal/event.hpp"
#include "annal/read_model_transaction.hpp"

namespace annal {

/// What a projection runner does when a handler (or the decoding of an event) throws.
struct error_policy {
  enum class action : std::uint8_t {
    /// Stop the projection at the failing event and report it; the default.
    stop,
    /// Try the event again after a pause that doubles from `initial_backoff` up to `max_backoff`,
    /// at most `max_retries` times, then stop.
    retry,
    /// Record the event in the dead-letter table with the error, and go on with the next one.
    skip_and_record,
  };
  action on_failure = action::stop;
  int max_retries = 5;
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{10000};

  static error_policy stop() { return {}; }
  static error_policy retry(int max_retries, std::chrono::milliseconds initial_backoff,
                            std::chrono::milliseconds max_backoff = std::chrono::seconds(10)) {
    return {action::retry, max_retries, initial_backoff, max_backoff};
  }
  static error_policy skip_and_record() { return {action::skip_and_record}; }
};

/// The work of one event on a read model, made ahead of time by projection::prepare.
using read_model_step = std::function<void(read_model_transaction&)>;
/// The work of one event on a sink, made ahead of time by projection::prepare_sink.
using sink_step = std::function<void()>;

/// A read model's work per event (SQLite or PostgreSQL): applies one event inside the batch's
/// transaction.
struct read_model_handler {
  std::function<void(const recorded_event&, read_model_transaction&)> apply;
};

/// A read model's work per event, made ahead of time: turns one event into the step that applies
/// it. The runner calls `prepare` for every event of the next batch on its read-ahead thread
/// while the current batch is written, so decoding runs beside the database; then it runs the
/// steps in order inside the batch's transaction. `prepare` may be called from two threads at
/// once and must not touch shared state; what it throws fails the event as a handler's error
/// would. The recorded_event and the projection outlive the step.
struct read_model_preparer {
  std::function<read_model_step(const recorded_event&)> prepare;
};

/// A generic projection's work per event: receives each event at least once, in position order.
/// After a crash the events after the last checkpoint are delivered again; use
/// recorded_event::position to make the sink idempotent.
struct sink_handler {
  std::function<void(const recorded_event&)> deliver;
};

/// A generic projection's work per event made ahead of time, with the rules of
/// read_model_preparer.
struct sink_preparer {
  std::function<sink_step(const recorded_event&)> prepare;
};

/// What a projection does with each event: exactly one of the four forms. The first two make
/// the projection a read model, the last two a generic projection (a sink). The runner refuses
/// a projection whose handler is empty (std::monostate or an empty function).
using projection_handler = std::variant<std::monostate, read_model_handler, read_model_preparer,
                                        sink_handler, sink_preparer>;

/// A projection as the runner sees it, with its handler already type-erased. Build one with
/// sqlite_projection() or sink_projection() for typed handlers, or fill it in by hand to handle
/// raw recorded events.
struct projection {
  /// Unique within a read-model database: letters, digits and '_', 1 to 64 bytes.
  std::string name;
  /// Bump it when the handler's meaning or the tables change: the runner then rebuilds the read
  /// model from the start of the log into new tables while the old ones keep serving reads.
  int version = 1;
  /// Only events of these types are read and handled; empty means every event.
  std::vector<std::string> event_types;
  /// Only events of streams starting with this are read and handled; empty means every stream.
  std::string stream_prefix;
  error_policy on_error;
  /// The work per event, and with it the kind of projection (read model or sink).
  projection_handler handler;

  /// Read model: the base names of its tables (identifiers, not starting with "annal_"). Each
  /// build gets its own physical tables and readers see the current build through a view per
  /// base name.
  std::vector<std::string> tables;
  /// Read model: creates the tables of a new build, naming them `{base}` (see
  /// read_model_transaction). Runs in the transaction that registers the build.
  std::function<void(read_model_transaction&)> create_tables;
  /// Generic projection, optional: called before a rebuild replays the log from `from_position`,
  /// so the sink can clear what it holds.
  std::function<void(std::uint64_t from_position)> reset;

  /// True for a read model (a read_model_handler or read_model_preparer).
  bool is_read_model() const noexcept {
    return std::holds_alternative<read_model_handler>(handler) ||
           std::holds_alternative<read_model_preparer>(handler);
  }
};

namespace detail {

template <class Variant>
std::vector<std::string> type_names_of() {
  return event_codec<Variant>::stored_type_names();
}

/// The events one stored event decodes into: the first in place (most events are one event, read
/// without an allocation), the rest, from an upcaster that splits an event, beside it.
template <class Variant>
class decoded_events {
 public:
  explicit decoded_events(const recorded_event& recorded) {
    event_codec<Variant>::for_each_decoded(recorded, [this](Variant&& event) {
      if (!first_) {
        first_.emplace(std::move(event));
      } else {
        rest_.push_back(std::move(event));
      }
    });
  }
  template <class Visitor>
  void visit_each(Visitor&& visitor) const {
    if (first_) std::visit(visitor, *first_);
    for (const auto& event : rest_) std::visit(visitor, event);
  }

 private:
  std::optional<Variant> first_;
  std::vector<Variant> rest_;
};

template <class Handler, class Variant, class... Extra>
struct handles_all : std::false_type {};
template <class Handler, class... Events, class... Extra>
struct handles_all<Handler, std::variant<Events...>, Extra...>
    : std::bool_constant<(
          std::is_invocable_v<Handler&, const Events&, const recorded_event&, Extra&...> && ...)> {
};

}  // namespace detail

/// A read-model projection with typed handlers, for a read model in SQLite or PostgreSQL (the
/// name is historical: the handlers' SQL is in the dialect of the runner's read-model database). It
/// reads only the event types of `Variant` (a std::variant of event structs, see event_codec),
/// decodes each event and calls `handler(const E& event, const recorded_event& recorded,
/// read_model_transaction& tx)`; the handler must accept every alternative E (an overload set or a
/// generic lambda). `recorded` carries the position, stream, version, timestamp and metadata.
/// Decoding errors and handler errors go to the projection's error policy.
template <class Variant, class Handler>
projection sqlite_projection(std::string name, int version, std::vector<std::string> tables,
                             std::function<void(read_model_transaction&)> create_tables,
                             Handler handler, error_policy on_error = {}) {
  static_assert(detail::handles_all<Handler, Variant, read_model_transaction>::value,
                "annal: the handler of a sqlite_projection must be callable as "
                "handler(const E&, const recorded_event&, read_model_transaction&) for every "
                "event type E of the variant");
  projection p;
  p.name = std::move(name);
  p.version = version;
  p.event_types = detail::type_names_of<Variant>();
  p.on_error = on_error;
  p.tables = std::move(tables);
  p.create_tables = std::move(create_tables);
  p.handler = read_model_preparer{[h = std::make_shared<Handler>(std::move(handler))](
                                      const recorded_event& recorded) -> read_model_step {
    return [h = h.get(), &recorded,
            events = detail::decoded_events<Variant>(recorded)](read_model_transaction& tx) {
      events.visit_each([&](const auto& e) { (*h)(e, recorded, tx); });
    };
  }};
  return p;
}

/// A generic projection with a typed sink: `handler(const E& event, const recorded_event&
/// recorded)` for every alternative E of `Variant`, at least once per event (see
/// sink_handler).
template <class Variant, class Handler>
projection sink_projection(std::string name, int version, Handler handler,
                           error_policy on_error = {}) {
  static_assert(detail::handles_all<Handler, Variant>::value,
                "annal: the handler of a sink_projection must be callable as "
                "handler(const E&, const recorded_event&) for every event type E of the variant");
  projection p;
  p.name = std::move(name);
  p.version = version;
  p.event_types = detail::type_names_of<Variant>();
  p.on_error = on_error;
  p.handler = sink_preparer{[h = std::make_shared<Handler>(std::move(handler))](
                                const recorded_event& recorded) -> sink_step {
    return [h = h.get(), &recorded, events = detail::decoded_events<Variant>(recorded)] {
      events.visit_each([&](const auto& e) { (*h)(e, recorded); });
    };
  }};
  return p;
}

}  // namespace annal
