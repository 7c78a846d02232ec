// Loading and saving typed aggregates in an event store, with optimistic concurrency.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
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
#include "annal/schema_fingerprint.hpp"
#include "annal/snapshot_store.hpp"

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
  /// Snapshot policy: after an update() that takes the aggregate past a multiple of this many
  /// events, store a snapshot of the new state. 0 (the default) never does.
  std::uint64_t snapshot_every = 0;
  /// Snapshot policy: when loading the events after the newest snapshot took longer than this,
  /// store a snapshot of the loaded state. 0 (the default) never does.
  std::chrono::microseconds snapshot_after_slow_load{0};
  /// How many snapshots to keep per aggregate (the newest ones).
  std::size_t snapshots_kept = 1;
  /// How snapshots are encoded.
  snapshot_encoding snapshot_format = snapshot_encoding::json;
  /// Receives warnings: a snapshot that could not be read, decoded or written. Such failures
  /// never fail a load or a save. When empty, warnings go to standard error.
  std::function<void(const std::string&)> on_warning;
};

/// What a repository did with snapshots since it was made (shared by its copies).
struct snapshot_stats {
  /// Loads that started from a snapshot.
  std::uint64_t loaded = 0;
  /// Snapshots passed over because their schema fingerprint differs.
  std::uint64_t ignored_fingerprint = 0;
  /// Snapshots passed over because they could not be read or decoded.
  std::uint64_t ignored_corrupt = 0;
  std::uint64_t written = 0;
  /// Snapshot writes that failed (the save that triggered them succeeded all the same).
  std::uint64_t write_failures = 0;
};

/// Loads and saves aggregates whose state is `State` and whose events form the variant
/// `Event` (which is also their codec's type registry, see annal::event_codec). Aggregate `id`
/// lives in the stream "<category>-<id>".
///
/// With a snapshot policy set (repository_options), loading starts from the newest snapshot
/// whose schema fingerprint matches State (see annal::schema_fingerprint) and folds only the
/// events after it; see docs/snapshots.md.
///
/// Thread safety: as thread-safe as the store; the only mutable state is the snapshot counters,
/// which are atomic. Lifetime: the store must outlive the repository.
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
  versioned<State> load(std::string_view id) const {
    return load_from(stream_id(id), no_limit, no_limit, true);
  }

  /// Like load(), but throws annal::stream_not_found for an aggregate with no events.
  versioned<State> get(std::string_view id) const {
    std::string stream = stream_id(id);
    auto loaded = load_from(stream, no_limit, no_limit, true);
    if (loaded.version == 0) throw stream_not_found(stream);
    return loaded;
  }

  /// Time travel: the state of aggregate `id` as of stream version `version` (the fold of its
  /// first `version` events; all of them when it has fewer). Uses a snapshot at or below that
  /// version when one exists. Throws as load() does.
  versioned<State> load_at_version(std::string_view id, std::uint64_t version) const {
    return load_from(stream_id(id), version, no_limit, false);
  }

  /// Time travel: the state of aggregate `id` that a reader of the log at global position
  /// `position` would have seen (the fold of its events at positions up to `position`). Uses a
  /// snapshot taken at or below that position when one exists. Throws as load() does.
  versioned<State> load_at_position(std::string_view id, std::uint64_t position) const {
    return load_from(stream_id(id), no_limit, position, false);
  }

  /// Removes every snapshot of this aggregate type (this repository's category), in every
  /// stream; returns how many. Throws annal::io_error when the snapshot store fails.
  std::size_t drop_snapshots() { return store_->snapshots().drop_type(category_); }

  /// The snapshot counters of this repository and its copies.
  snapshot_stats stats() const noexcept {
    return {counters_->loaded.load(), counters_->ignored_fingerprint.load(),
            counters_->ignored_corrupt.load(), counters_->written.load(),
            counters_->write_failures.load()};
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
  requires std::is_invocable_v<Decide&, const State&> update_result<State, Event> update(
      std::string_view id, Decide&& decide, const event_metadata& metadata = {}) {
    return run_update(stream_id(id), std::nullopt, decide, metadata);
  }

  /// Like update(), for a caller that decided on a state it saw earlier (an HTTP client's
  /// If-Match, a form opened an hour ago): `expected` is the version of that state. When the
  /// aggregate is no longer at `expected`, throws annal::wrong_expected_version (with the actual
  /// version) without running decide; when another writer comes between the load and the save,
  /// throws it too. Never retries: the caller's view is stale, and only the caller can decide
  /// again. Otherwise as update().
  template <class Decide>
  requires std::is_invocable_v<Decide&, const State&> update_result<State, Event> update(
      std::string_view id, std::uint64_t expected, Decide&& decide,
      const event_metadata& metadata = {}) {
    return run_update(stream_id(id), expected, decide, metadata);
  }

  event_store& store() const noexcept { return *store_; }
  const std::string& category() const noexcept { return category_; }

 private:
  // update() with retries (no `expected`), or once at `expected`.
  template <class Decide>
  update_result<State, Event> run_update(const std::string& stream,
                                         std::optional<std::uint64_t> expected, Decide& decide,
                                         const event_metadata& metadata) {
    static_assert(std::is_invocable_r_v<std::vector<Event>, Decide&, const State&>,
                  "annal: decide must be callable as decide(const State&) and return "
                  "std::vector<Event> of the repository's event variant");
    for (unsigned attempt = 1;; ++attempt) {
      versioned<State> current = load_from(stream, no_limit, no_limit, true);
      if (expected && current.version != *expected) {
        throw wrong_expected_version(stream, expected_version::exact(*expected).to_string(),
                                     current.version);
      }
      std::vector<Event> events = decide(std::as_const(current.state));
      if (events.empty()) return {std::move(current), {}, attempt};
      std::vector<event_data> batch;
      batch.reserve(events.size());
      for (const auto& e : events) batch.push_back(codec::encode(e, metadata));
      try {
        auto result = store_->append(stream, expected_version::exact(current.version), batch);
        std::uint64_t before = current.version;
        current.state = fold(std::move(current.state), events);
        current.version = result.next_expected_version;
        std::uint64_t every = options_.snapshot_every;
        if (every > 0 && before / every != current.version / every) {
          write_snapshot(stream, current.state, current.version, result.last_position);
        }
        return {std::move(current), std::move(events), attempt};
      } catch (const wrong_expected_version&) {
        if (expected || attempt > options_.max_retries) throw;
        pause_before_retry(attempt);
      }
    }
  }

  static constexpr std::uint64_t no_limit = std::numeric_limits<std::uint64_t>::max();

  struct counters {
    std::atomic<std::uint64_t> loaded{0};
    std::atomic<std::uint64_t> ignored_fingerprint{0};
    std::atomic<std::uint64_t> ignored_corrupt{0};
    std::atomic<std::uint64_t> written{0};
    std::atomic<std::uint64_t> write_failures{0};
  };

  bool uses_snapshots() const noexcept {
    return options_.snapshot_every > 0 || options_.snapshot_after_slow_load.count() > 0;
  }

  void warn(const std::string& message) const {
    if (options_.on_warning) {
      options_.on_warning(message);
    } else {
      std::fprintf(stderr, "annal: warning: %s\n", message.c_str());
    }
  }

  std::string snapshot_type_name() const { return "snapshot of " + category_; }

  State decode_snapshot(const snapshot& s) const {
    try {
      nlohmann::json json = s.encoding == snapshot_encoding::cbor
                                ? nlohmann::json::from_cbor(s.payload)
                                : nlohmann::json::parse(s.payload);
      return from_json_value<State>(json, snapshot_type_name());
    } catch (const nlohmann::json::exception& e) {
      throw decode_failed(snapshot_type_name(), "", e.what());
    }
  }

  // Stores a snapshot of `state`; a failure is counted and reported, never thrown.
  void write_snapshot(const std::string& stream, const State& state, std::uint64_t version,
                      std::uint64_t position) const {
    try {
      snapshot s;
      s.stream_id = stream;
      s.version = version;
      s.position = position;
      s.aggregate_type = category_;
      s.fingerprint = schema_fingerprint<State>();
      s.encoding = options_.snapshot_format;
      auto json = to_json_value(state);
      if (s.encoding == snapshot_encoding::cbor) {
        auto bytes = nlohmann::ordered_json::to_cbor(json);
        s.payload.assign(bytes.begin(), bytes.end());
      } else {
        s.payload = json.dump();
      }
      s.taken_at = std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now());
      store_->snapshots().save(s, options_.snapshots_kept);
      ++counters_->written;
    } catch (const std::exception& e) {
      ++counters_->write_failures;
      warn("could not store a snapshot of '" + stream + "' at version " + std::to_string(version) +
           ": " + e.what());
    }
  }

  // The fold of the stream's events with version <= max_version and position <= max_position,
  // starting from the newest usable snapshot when snapshots are in use.
  versioned<State> load_from(const std::string& stream, std::uint64_t max_version,
                             std::uint64_t max_position, bool may_snapshot) const {
    State state{};
    std::uint64_t version = 0;
    std::uint64_t position = 0;
    if (uses_snapshots()) {
      try {
        auto lookup = store_->snapshots().load(stream, schema_fingerprint<State>(), max_version,
                                               max_position);
        counters_->ignored_fingerprint += lookup.mismatched;
        if (lookup.found) {
          state = decode_snapshot(*lookup.found);
          version = lookup.found->version;
          position = lookup.found->position;
          ++counters_->loaded;
        }
      } catch (const decode_failed& e) {
        ++counters_->ignored_corrupt;
        warn("ignored a snapshot of '" + stream + "' that cannot be decoded: " + e.what());
        state = State{};
      } catch (const io_error& e) {
        ++counters_->ignored_corrupt;
        warn("ignored the snapshots of '" + stream + "': " + e.what());
      } catch (const corruption& e) {
        ++counters_->ignored_corrupt;
        warn("ignored the snapshots of '" + stream + "': " + e.what());
      }
    }
    auto started = std::chrono::steady_clock::now();
    std::uint64_t folded = 0;
    for (bool more = version < max_version; more;) {
      auto page =
          store_->read_stream(stream, version + 1, read_direction::forward, options_.page_size);
      for (const auto& recorded : page) {
        if (recorded.stream_version > max_version || recorded.position > max_position) {
          more = false;
          break;
        }
        codec::for_each_decoded(
            recorded, [&](Event&& event) { state = evolve(std::move(state), std::move(event)); });
        version = recorded.stream_version;
        position = recorded.position;
        ++folded;
      }
      if (page.size() < options_.page_size) more = false;
    }
    auto budget = options_.snapshot_after_slow_load;
    if (may_snapshot && folded > 0 && budget.count() > 0 &&
        std::chrono::steady_clock::now() - started > budget) {
      write_snapshot(stream, state, version, position);
    }
    return {std::move(state), version};
  }

  static void pause_before_retry(unsigned attempt) {
    thread_local std::minstd_rand random{std::random_device{}()};
    unsigned ceiling_us = 100u << std::min(attempt, 7u);
    std::this_thread::sleep_for(std::chrono::microseconds(random() % ceiling_us));
  }

  event_store* store_;
  std::string category_;
  repository_options options_;
  std::shared_ptr<counters> counters_ = std::make_shared<counters>();
};

}  // namespace annal
