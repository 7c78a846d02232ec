// The backend-independent half of every store: argument checks, the closed state, wait_for and
// the sealing of personal data, for the store's own calls and those of annal/store_admin.hpp.
#include "annal/event_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <shared_mutex>

#include "annal/error.hpp"
#include "annal/json.hpp"
#include "annal/query.hpp"
#include "annal/store_admin.hpp"
#include "annal/system_events.hpp"
#include "core/event_rules.hpp"
#include "core/json_nesting.hpp"
#include "core/key_store.hpp"
#include "core/metadata_json.hpp"
#include "core/personal_data.hpp"
#include "core/stream_lifecycle.hpp"
#include "core/type_version.hpp"

namespace annal {

struct event_store::shared_state {
  std::atomic<bool> closed{false};
  // Calls hold it shared; close() takes it exclusively, so do_close() runs alone.
  std::shared_mutex lifecycle;
  std::mutex head_mutex;
  std::condition_variable head_changed;
  std::uint64_t known_head = 0;
  std::atomic<std::chrono::milliseconds::rep> poll_ms{50};
  std::size_t max_payload = max_payload_size;  // set before the store is shared, then read-only
  std::size_t erasures_per_call = 1;           // likewise
  bool stores_tags = false;                    // likewise
};

class event_store::call_guard {
 public:
  explicit call_guard(shared_state& s) : lock_(s.lifecycle) {
    if (s.closed.load(std::memory_order_acquire)) throw store_closed();
  }

 private:
  std::shared_lock<std::shared_mutex> lock_;
};

void detail::validate_event_type(std::string_view type) {
  if (type.empty()) throw invalid_argument("event type is empty");
  if (type.size() > max_event_type_size) {
    throw invalid_argument(fmt::format("event type is {} bytes long; the limit is {}", type.size(),
                                       max_event_type_size));
  }
  if (type.find('\0') != std::string_view::npos) {
    throw invalid_argument("event type contains a NUL byte");
  }
}

namespace {

using detail::validate_event_type;

void validate_subject(std::string_view subject) {
  if (subject.size() > max_subject_size) {
    throw invalid_argument(fmt::format("a subject is {} bytes long; the limit is {}",
                                       subject.size(), max_subject_size));
  }
  if (subject.find('\0') != std::string_view::npos) {
    throw invalid_argument("a subject contains a NUL byte");
  }
  if (!detail::is_valid_utf8(subject)) throw invalid_argument("a subject is not valid UTF-8");
}

// Checks event `index`'s tags: at most max_tags_per_event, each valid, none twice.
void validate_tags(const std::vector<std::string>& tags, std::size_t index) {
  if (tags.empty()) return;
  if (tags.size() > max_tags_per_event) {
    throw invalid_argument(fmt::format("event {} of the batch has {} tags; the limit is {}", index,
                                       tags.size(), max_tags_per_event));
  }
  for (const auto& tag : tags) {
    if (auto problem = detail::tag_problem(tag, false); !problem.empty()) {
      throw invalid_argument(fmt::format("event {} of the batch: {}", index, problem));
    }
  }
  std::vector<std::string_view> sorted(tags.begin(), tags.end());
  std::sort(sorted.begin(), sorted.end());
  if (auto repeated = std::adjacent_find(sorted.begin(), sorted.end()); repeated != sorted.end()) {
    throw invalid_argument(
        fmt::format("event {} of the batch carries the tag \"{}\" twice", index, *repeated));
  }
}

// Refuses a batch with tags on a backend that does not store them, rather than drop them.
template <class Event>
void refuse_tags_unless_stored(std::span<const Event> events, bool stored) {
  if (stored) return;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (!events[i].tags.empty()) {
      throw invalid_argument(fmt::format(
          "event {} of the batch has tags, which this store's backend does not store", i));
    }
  }
}

// Compares ids as big-endian words: the same order as uuid's operator<, without a memcmp call.
bool id_less(const uuid& a, const uuid& b) noexcept {
  std::uint64_t a_high, a_low, b_high, b_low;
  std::memcpy(&a_high, a.bytes().data(), 8);
  std::memcpy(&a_low, a.bytes().data() + 8, 8);
  std::memcpy(&b_high, b.bytes().data(), 8);
  std::memcpy(&b_low, b.bytes().data() + 8, 8);
  if constexpr (std::endian::native == std::endian::little) {
    a_high = __builtin_bswap64(a_high);
    a_low = __builtin_bswap64(a_low);
    b_high = __builtin_bswap64(b_high);
    b_low = __builtin_bswap64(b_low);
  }
  return a_high < b_high || (a_high == b_high && a_low < b_low);
}

// Checks the fields append() and append_recorded() share; Event is event_data or recorded_event.
template <class Event>
void validate_batch(std::span<const Event> events, std::size_t max_payload) {
  if (events.empty()) throw invalid_argument("an append needs at least one event");
  const std::string* last_type = nullptr;
  bool increasing = true;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    // Batches usually repeat a few types: a type equal to the previous one is already checked.
    if (last_type == nullptr || e.type != *last_type) validate_event_type(e.type);
    last_type = &e.type;
    if (e.id.is_nil()) throw invalid_argument(fmt::format("event {} of the batch has a nil id", i));
    if (e.payload.size() > max_payload) {
      throw invalid_argument(fmt::format(
          "event {} of the batch has a payload of {} bytes; the limit is {} (max_payload_size)", i,
          e.payload.size(), max_payload));
    }
    if (e.encoding != payload_encoding::json && e.encoding != payload_encoding::binary) {
      throw invalid_argument(fmt::format("event {} of the batch has an unknown encoding {}", i,
                                         static_cast<int>(e.encoding)));
    }
    if (!detail::is_valid_type_version(e.type_version)) {
      throw invalid_argument(
          fmt::format("event {} of the batch has type version {}; versions run from 1 to {}", i,
                      e.type_version, max_type_version));
    }
    if (e.encoding == payload_encoding::json && detail::nests_too_deep_for_a_payload(e.payload)) {
      throw invalid_argument(
          fmt::format("event {} of the batch has a JSON payload nested more than {} levels deep", i,
                      max_payload_nesting));
    }
    if (!e.metadata.subject.empty()) validate_subject(e.metadata.subject);
    validate_tags(e.tags, i);
    if (i > 0 && increasing) increasing = id_less(events[i - 1].id, e.id);
  }
  // Strictly increasing ids (the usual UUIDv7 case) cannot repeat; otherwise sorting a copy finds
  // repeats without a hash set's allocation per event.
  if (!increasing) {
    std::vector<uuid> ids;
    ids.reserve(events.size());
    for (const auto& e : events) ids.push_back(e.id);
    std::sort(ids.begin(), ids.end());
    if (auto repeated = std::adjacent_find(ids.begin(), ids.end()); repeated != ids.end()) {
      throw invalid_argument(
          fmt::format("event id {} appears twice in one batch", repeated->to_string()));
    }
  }
}

// The shape append_recorded() requires: one stream, one timestamp, consecutive places.
void validate_recorded_batch(std::span<const recorded_event> events, std::size_t max_payload) {
  if (events.empty()) throw invalid_argument("an append needs at least one event");
  const recorded_event& first = events[0];
  validate_stream_id(first.stream_id);
  if (first.position == 0 || first.stream_version == 0) {
    throw invalid_argument("recorded positions and stream versions start at 1");
  }
  for (std::size_t i = 1; i < events.size(); ++i) {
    const recorded_event& e = events[i];
    if (e.stream_id != first.stream_id) {
      throw invalid_argument(fmt::format(
          "a recorded batch is one stream: event {} is in another stream than event 0", i));
    }
    if (e.timestamp != first.timestamp) {
      throw invalid_argument(
          fmt::format("a recorded batch has one timestamp: event {} has another than event 0", i));
    }
    if (e.position != first.position + i || e.stream_version != first.stream_version + i) {
      throw invalid_argument(fmt::format(
          "event {} of a recorded batch is at position {} version {}; expected position {} "
          "version {}",
          i, e.position, e.stream_version, first.position + i, first.stream_version + i));
    }
  }
  validate_batch(events, max_payload);
}

// A stream id a user's call may name: not a metadata stream, which annal alone writes.
void validate_user_stream_id(std::string_view stream_id) {
  validate_stream_id(stream_id);
  if (detail::is_metadata_stream(stream_id)) {
    throw invalid_argument(fmt::format(
        "stream id '{}' starts with '{}': such streams hold stream metadata and only annal "
        "writes them (see set_stream_metadata)",
        stream_id, metadata_stream_prefix));
  }
}

// The subjects' keys one call needs, each looked up in the key store once.
class call_keys {
 public:
  explicit call_keys(detail::key_store& store) : store_(store) {}

  // The key to seal new personal data of `subject` with, created (durably) when the subject has
  // none. Throws annal::invalid_argument for a forgotten subject.
  const detail::subject_key& for_sealing(const std::string& subject) {
    detail::key_record& record = lookup(subject);
    if (record.status == detail::key_record::state::absent) {
      record = store_.create(subject, detail::subject_key::random());
      if (record.status == detail::key_record::state::absent) {
        throw io_error(0, "subject keys",
                       fmt::format("the key store did not keep the key of subject '{}'", subject));
      }
    }
    if (record.status == detail::key_record::state::forgotten) {
      throw invalid_argument(fmt::format(
          "subject '{}' was forgotten (event_store::forget): no personal data can be stored for "
          "it again; give the person a new subject",
          subject));
    }
    return record.key;
  }

  // The key to open personal data of `subject` with: null when the subject was forgotten.
  // Throws annal::corruption when the key store has no key for it.
  const detail::subject_key* for_unsealing(std::string_view subject) {
    const detail::key_record& record = lookup(std::string(subject));
    if (record.status == detail::key_record::state::forgotten) return nullptr;
    if (record.status == detail::key_record::state::absent) {
      throw corruption("subject keys", -1,
                       fmt::format("no key for subject '{}' although the store holds personal "
                                   "data sealed with it: the key store lost it, or the events "
                                   "were copied without their keys (docs/privacy.md)",
                                   subject));
    }
    return &record.key;
  }

 private:
  detail::key_record& lookup(const std::string& subject) {
    auto found = keys_.find(subject);
    if (found == keys_.end()) found = keys_.emplace(subject, store_.find(subject)).first;
    return found->second;
  }

  detail::key_store& store_;
  std::map<std::string, detail::key_record, std::less<>> keys_;
};

// Whether an event (event_data or recorded_event) may hold personal data to seal.
template <class Event>
bool may_hold_personal_data(const Event& e) {
  return e.encoding == payload_encoding::json && detail::may_hold_personal(e.payload);
}

// `events` with their personal fields sealed, or an empty vector when none has any. Throws
// annal::invalid_argument for personal data without a subject or that cannot be sealed, and when
// a payload outgrows `max_payload` by the sealing.
template <class Event>
std::vector<Event> sealed_batch(std::span<const Event> events, detail::key_store* store,
                                std::size_t max_payload) {
  if (store == nullptr ||
      std::none_of(events.begin(), events.end(), may_hold_personal_data<Event>)) {
    return {};
  }
  std::optional<call_keys> keys;
  std::vector<Event> sealed(events.begin(), events.end());
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    Event& e = sealed[i];
    if (!may_hold_personal_data(e)) continue;
    if (e.metadata.subject.empty()) {
      if (!detail::has_personal_member(e.payload)) continue;
      throw invalid_argument(fmt::format(
          "event {} of the batch has personal data (\"$personal\") but no subject to encrypt it "
          "for (event_metadata::subject)",
          i));
    }
    if (!keys) keys.emplace(*store);
    auto text = detail::seal_personal(e.payload, e.metadata.subject,
                                      keys->for_sealing(e.metadata.subject), false);
    if (detail::has_personal_member(text ? *text : e.payload)) {
      throw invalid_argument(fmt::format(
          "event {} of the batch has a \"$personal\" member that is not alone in its object, so "
          "it cannot be encrypted; personal data is written {{\"$personal\": value}}",
          i));
    }
    if (!text) continue;
    if (text->size() > max_payload) {
      throw invalid_argument(
          fmt::format("event {} of the batch has a payload of {} bytes once its personal fields "
                      "are encrypted; the limit is {} (max_payload_size)",
                      i, text->size(), max_payload));
    }
    e.payload = std::move(*text);
  }
  return sealed;
}

// `events` as every backend stores them: personal fields sealed (sealed_batch()) and each event's
// tags sorted; an empty vector when they are so already. Throws what sealed_batch() throws.
template <class Event>
std::vector<Event> stored_batch(std::span<const Event> events, detail::key_store* store,
                                std::size_t max_payload) {
  std::vector<Event> batch = sealed_batch(events, store, max_payload);
  auto unsorted = [](const Event& e) { return !std::is_sorted(e.tags.begin(), e.tags.end()); };
  if (std::any_of(events.begin(), events.end(), unsorted)) {
    if (batch.empty()) batch.assign(events.begin(), events.end());
    for (Event& e : batch) std::sort(e.tags.begin(), e.tags.end());
  }
  return batch;
}

// Opens the sealed personal fields of events read from the backend, in place.
void unseal_events(std::vector<recorded_event>& events, detail::key_store* store) {
  if (store == nullptr) return;
  std::optional<call_keys> keys;
  for (auto& e : events) {
    if (e.metadata.subject.empty() || e.encoding != payload_encoding::json ||
        !detail::may_hold_sealed(e.payload)) {
      continue;
    }
    if (!keys) keys.emplace(*store);
    auto key_of = [&](std::string_view subject) { return keys->for_unsealing(subject); };
    auto text =
        detail::unseal_personal(e.payload, e.metadata.subject, key_of, e.stream_id, e.position);
    if (text) e.payload = std::move(*text);
  }
}

// A snapshot's state as JSON text, whatever its encoding, and back. Throws annal::corruption
// for a CBOR state that does not parse.
std::string snapshot_text(const snapshot& s) {
  if (s.encoding == snapshot_encoding::json) return s.payload;
  try {
    return nlohmann::ordered_json::from_cbor(s.payload).dump();
  } catch (const nlohmann::json::exception& e) {
    throw corruption(s.stream_id, -1,
                     fmt::format("the CBOR state of the snapshot at version {} is malformed: {}",
                                 s.version, e.what()));
  }
}
void set_snapshot_text(snapshot& s, const std::string& text) {
  if (s.encoding == snapshot_encoding::json) {
    s.payload = text;
  } else {
    auto bytes = nlohmann::ordered_json::to_cbor(nlohmann::ordered_json::parse(text));
    s.payload.assign(bytes.begin(), bytes.end());
  }
}
// Whether the snapshot's state may hold personal data (`member` "$personal" or "$sealed").
bool snapshot_mentions(const snapshot& s, std::string_view member) {
  return s.payload.find(member) != std::string::npos;
}

}  // namespace

// The snapshot store handed out by snapshots(): every call is guarded like the store's own, so
// close() cannot destroy the backend's snapshot store under a call.
class event_store::guarded_snapshots final : public snapshot_store {
 public:
  explicit guarded_snapshots(event_store& store) : store_(store) {}

  // A state holding personal data is sealed with the key of the subject of the stream's latest
  // event that has one, so that a snapshot keeps no plaintext and forget() erases it too. When no
  // event has a subject the personal data came from events stored in the clear (written before
  // their fields were personal), and the snapshot exposes nothing they do not.
  void save(const snapshot& s, std::size_t keep) override {
    call_guard guard(*store_.state_);
    detail::key_store* keys = store_.do_keys();
    if (keys == nullptr || !snapshot_mentions(s, detail::personal_member)) {
      store_.do_snapshots().save(s, keep);
      return;
    }
    validate_stream_id(s.stream_id);
    std::string subject = stream_subject(s.stream_id, s.version);
    std::optional<std::string> sealed_text;
    if (!subject.empty()) {
      call_keys subject_keys(*keys);
      sealed_text =
          detail::seal_personal(snapshot_text(s), subject, subject_keys.for_sealing(subject), true);
    }
    if (!sealed_text) {
      store_.do_snapshots().save(s, keep);
      return;
    }
    snapshot sealed = s;
    set_snapshot_text(sealed, *sealed_text);
    store_.do_snapshots().save(sealed, keep);
  }
  // A snapshot folds the events up to its version: it stands for the stream only when it covers
  // every event the stream hides and none before a deletion.
  snapshot_lookup load(std::string_view stream_id, std::uint64_t fingerprint,
                       std::uint64_t max_version, std::uint64_t max_position) override {
    call_guard guard(*store_.state_);
    snapshot_lookup found =
        store_.do_snapshots().load(stream_id, fingerprint, max_version, max_position);
    if (!found.found || detail::is_metadata_stream(stream_id)) return found;
    if (snapshot_mentions(*found.found, detail::sealed_member)) unseal(*found.found);
    stream_state state;
    try {
      state = store_.stored_lifecycle(stream_id);
    } catch (const invalid_argument&) {
      // A stream id the backend cannot hold events for (PostgreSQL: not UTF-8) has no metadata
      // either; its snapshots are the caller's own.
      return found;
    }
    if (state.metadata_version == 0) return found;
    if (state.metadata.max_count) state.version = store_.do_stream_version(stream_id);
    if (state.tombstoned || found.found->version <= state.deleted_at ||
        found.found->version + 1 < state.first_visible_version()) {
      found.found.reset();
    }
    return found;
  }
  std::size_t drop_type(std::string_view aggregate_type) override {
    call_guard guard(*store_.state_);
    return store_.do_snapshots().drop_type(aggregate_type);
  }
  std::size_t count() override {
    call_guard guard(*store_.state_);
    return store_.do_snapshots().count();
  }

 private:
  // The subject of the stream's latest event up to `version` that has one; empty when none has.
  std::string stream_subject(std::string_view stream_id, std::uint64_t version) {
    constexpr std::size_t page_size = 64;
    for (std::uint64_t from = version; from > 0;) {
      auto page = store_.do_read_stream(stream_id, from, read_direction::backward, page_size);
      for (const auto& e : page) {
        if (!e.metadata.subject.empty()) return e.metadata.subject;
      }
      if (page.size() < page_size) return {};
      from = page.back().stream_version - 1;
    }
    return {};
  }

  void unseal(snapshot& s) {
    if (store_.do_keys() == nullptr) return;
    std::string text = snapshot_text(s);
    call_keys keys(*store_.do_keys());
    auto key_of = [&](std::string_view subject) { return keys.for_unsealing(subject); };
    auto opened = detail::unseal_personal(text, {}, key_of, s.stream_id, s.position);
    if (opened) set_snapshot_text(s, *opened);
  }

  event_store& store_;
};

void validate_stream_id(std::string_view stream_id) {
  if (detail::is_metadata_stream(stream_id)) stream_id.remove_prefix(metadata_stream_prefix.size());
  if (stream_id.empty()) throw invalid_argument("stream id is empty");
  if (stream_id.size() > max_stream_id_size) {
    throw invalid_argument(fmt::format("stream id is {} bytes long; the limit is {}",
                                       stream_id.size(), max_stream_id_size));
  }
  if (stream_id.find('\0') != std::string_view::npos) {
    throw invalid_argument("stream id contains a NUL byte");
  }
}

event_store::event_store()
    : state_(std::make_unique<shared_state>()),
      snapshots_(std::make_unique<guarded_snapshots>(*this)) {}

event_store::~event_store() = default;

append_result event_store::append(std::string_view stream_id, expected_version expected,
                                  std::span<const event_data> events) {
  return append_batch(stream_id, expected, events, nullptr);
}

append_result event_store::append(std::string_view stream_id, expected_version expected,
                                  std::span<const event_data> events,
                                  const append_condition& condition) {
  return append_batch(stream_id, expected, events, &condition);
}

append_result event_store::append(std::string_view stream_id, expected_version expected,
                                  const event_data& event, const append_condition& condition) {
  return append(stream_id, expected, std::span<const event_data>(&event, 1), condition);
}

append_result event_store::append(std::span<const event_data> events,
                                  const append_condition& condition) {
  return append(dcb_stream_id, expected_version::any(), events, condition);
}

append_result event_store::append(const event_data& event, const append_condition& condition) {
  return append(std::span<const event_data>(&event, 1), condition);
}

append_result event_store::append_batch(std::string_view stream_id, expected_version expected,
                                        std::span<const event_data> events,
                                        const append_condition* condition) {
  call_guard guard(*state_);
  validate_user_stream_id(stream_id);
  validate_batch(events, state_->max_payload);
  refuse_tags_unless_stored(events, state_->stores_tags);
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (detail::is_system_event_type(events[i].type)) {
      throw invalid_argument(fmt::format(
          "event {} of the batch has type '{}': types starting with '{}' are annal's own", i,
          events[i].type, system_event_type_prefix));
    }
  }
  // On a stream whose events are all hidden (deleted, truncated, expired), "no stream" means
  // after its last event: checked by the backend like any exact version.
  if (expected.matches(0) && expected.type() != expected_version::kind::any) {
    stream_state state = stored_lifecycle(stream_id);
    if (state.metadata_version != 0 && !state.tombstoned) {
      auto last = do_read_stream(stream_id, end_of_stream, read_direction::backward, 1);
      if (!last.empty()) {
        std::uint64_t version = last.front().stream_version;
        state.version = version;
        detail::drop_hidden(last, state, std::chrono::system_clock::now());
        if (last.empty()) expected = expected_version::exact(version);
      }
    }
  }
  auto stored = stored_batch(events, do_keys(), state_->max_payload);
  auto batch = stored.empty() ? events : std::span<const event_data>(stored);
  if (condition != nullptr) return do_append_conditional(stream_id, expected, batch, *condition);
  return do_append(stream_id, expected, batch);
}

query_page event_store::read_events(const query& q, std::uint64_t after, std::size_t max_count) {
  call_guard guard(*state_);
  if (max_count == 0) throw invalid_argument("max_count must be at least 1");
  query_page page = do_read_events(q, after, max_count);
  unseal_events(page.events, do_keys());
  return page;
}

append_result event_store::do_append_conditional(std::string_view, expected_version,
                                                 std::span<const event_data>,
                                                 const append_condition&) {
  throw invalid_argument("this store's backend does not support conditional appends");
}

query_page event_store::do_read_events(const query&, std::uint64_t, std::size_t) {
  throw invalid_argument("this store's backend does not serve queries across streams");
}

stream_state event_store::stored_lifecycle(std::string_view stream_id) {
  stream_state state;
  auto last = do_read_stream(detail::metadata_stream_of(stream_id), end_of_stream,
                             read_direction::backward, 1);
  if (last.empty()) return state;
  detail::metadata_record record = detail::decode_metadata_record(last.front());
  state.metadata = record.metadata;
  state.metadata_version = last.front().stream_version;
  state.deleted_at = record.deleted_at;
  state.tombstoned = record.tombstoned;
  return state;
}

stream_state event_store::read_stream_state(std::string_view stream_id) {
  call_guard guard(*state_);
  validate_user_stream_id(stream_id);
  stream_state state = stored_lifecycle(stream_id);
  state.version = do_stream_version(stream_id);
  return state;
}

append_result event_store::delete_stream(std::string_view stream_id, expected_version expected,
                                         deletion how, std::string_view reason) {
  call_guard guard(*state_);
  validate_user_stream_id(stream_id);
  event_data marker = detail::deletion_event(how, reason);
  // Step one, the deletion event, checked against `expected` like any append; step two, the
  // metadata that hides the stream's events. Reads honour a deletion event whose second step a
  // crash prevented, and deleting again completes it.
  auto record_deletion = [&](std::uint64_t deleted_at, bool tombstoned) {
    for (;;) {
      stream_state state = stored_lifecycle(stream_id);
      if (state.deleted_at >= deleted_at && state.tombstoned >= tombstoned) return;
      detail::metadata_record record{state.metadata, deleted_at, tombstoned};
      try {
        event_data event = detail::encode_metadata_record(record);
        do_append(detail::metadata_stream_of(stream_id),
                  expected_version::exact(state.metadata_version), {&event, 1});
        return;
      } catch (const wrong_expected_version&) {
        // Another writer changed the metadata since: read it again and merge.
      }
    }
  };
  auto last = do_read_stream(stream_id, end_of_stream, read_direction::backward, 1);
  if (last.empty()) throw stream_not_found(std::string(stream_id));
  const recorded_event& latest = last.front();
  if (latest.type == detail::tombstone_event_type) {
    record_deletion(latest.stream_version, true);
    throw stream_deleted(std::string(stream_id));
  }
  if (how == deletion::soft && latest.type == stream_deleted_event::type) {
    record_deletion(latest.stream_version, false);
    return append_result{latest.position, latest.position, latest.stream_version, false};
  }
  append_result result = do_append(stream_id, expected, {&marker, 1});
  record_deletion(result.next_expected_version, how == deletion::hard);
  return result;
}

std::uint64_t event_store::set_stream_metadata(std::string_view stream_id,
                                               const stream_metadata& metadata,
                                               expected_version expected_metadata_version) {
  call_guard guard(*state_);
  validate_user_stream_id(stream_id);
  for (;;) {
    stream_state state = stored_lifecycle(stream_id);
    if (state.tombstoned) throw stream_deleted(std::string(stream_id));
    detail::validate_stream_metadata(metadata, do_stream_version(stream_id));
    // `any` still writes after exactly the metadata read here, so that a deletion recorded
    // meanwhile is merged rather than overwritten.
    bool any = expected_metadata_version.type() == expected_version::kind::any;
    expected_version expected =
        any ? expected_version::exact(state.metadata_version) : expected_metadata_version;
    detail::metadata_record record{metadata, state.deleted_at, false};
    try {
      event_data event = detail::encode_metadata_record(record);
      return do_append(detail::metadata_stream_of(stream_id), expected, {&event, 1})
          .next_expected_version;
    } catch (const wrong_expected_version&) {
      if (!any) throw;
    }
  }
}

append_result append_recorded(event_store& store, std::span<const recorded_event> events) {
  event_store::call_guard guard(*store.state_);
  validate_recorded_batch(events, store.state_->max_payload);
  refuse_tags_unless_stored(events, store.state_->stores_tags);
  auto stored = stored_batch(events, store.do_keys(), store.state_->max_payload);
  return store.do_append_recorded(stored.empty() ? events : std::span(stored));
}

append_result event_store::append(std::string_view stream_id, expected_version expected,
                                  const event_data& event) {
  return append(stream_id, expected, std::span<const event_data>(&event, 1));
}

std::vector<recorded_event> event_store::read_stream(std::string_view stream_id,
                                                     std::uint64_t from_version,
                                                     read_direction direction,
                                                     std::size_t max_count) {
  call_guard guard(*state_);
  validate_stream_id(stream_id);
  if (max_count == 0) throw invalid_argument("max_count must be at least 1");
  if (detail::is_metadata_stream(stream_id)) {
    return do_read_stream(stream_id, from_version, direction, max_count);
  }
  stream_state state = stored_lifecycle(stream_id);
  if (state.tombstoned) throw stream_deleted(std::string(stream_id));
  if (state.metadata.max_count) state.version = do_stream_version(stream_id);
  std::uint64_t first = state.first_visible_version();
  auto now = std::chrono::system_clock::now();
  if (direction == read_direction::backward) {
    auto events = do_read_stream(stream_id, from_version, direction, max_count);
    detail::drop_hidden(events, state, now);
    unseal_events(events, do_keys());
    return events;
  }
  // Forward: start at the first visible version, and read on while the max_age rule or a
  // deletion event the metadata does not know yet drops events from a full page.
  std::vector<recorded_event> events;
  std::uint64_t from = std::max(from_version, first);
  for (;;) {
    auto page = do_read_stream(stream_id, from, direction, max_count - events.size());
    bool full = page.size() == max_count - events.size();
    std::uint64_t next = page.empty() ? from : page.back().stream_version + 1;
    bool has_deletion = std::any_of(page.begin(), page.end(), [](const recorded_event& e) {
      return e.type == stream_deleted_event::type;
    });
    if (has_deletion) events.clear();
    events.insert(events.end(), std::make_move_iterator(page.begin()),
                  std::make_move_iterator(page.end()));
    detail::drop_hidden(events, state, now);
    if (!full || events.size() == max_count) {
      unseal_events(events, do_keys());
      return events;
    }
    from = next;
  }
}

log_slice event_store::read_all(std::uint64_t from_position, std::size_t max_count,
                                const read_filter& filter) {
  call_guard guard(*state_);
  if (max_count == 0) throw invalid_argument("max_count must be at least 1");
  for (const auto& type : filter.event_types) validate_event_type(type);
  log_slice slice = do_read_all(from_position == 0 ? 1 : from_position, max_count, filter);
  unseal_events(slice.events, do_keys());
  return slice;
}

bool event_store::forget(std::string_view subject) {
  call_guard guard(*state_);
  if (subject.empty()) throw invalid_argument("a subject to forget is empty");
  validate_subject(subject);
  detail::key_store* keys = do_keys();
  if (keys == nullptr) {
    throw invalid_argument("this store forwards to another store: call forget() on that one");
  }
  if (keys->find(subject).status == detail::key_record::state::forgotten) return false;
  // The event first: a crash before the key is destroyed leaves the event and a live key, and
  // forgetting again completes the work; the reverse would lose the event for good.
  event_data event;
  event.type = std::string(subject_forgotten_event::type);
  try {
    event.payload = nlohmann::json{{"subject", subject}}.dump();
  } catch (const nlohmann::json::type_error&) {
    throw invalid_argument("a subject to forget is not valid UTF-8");
  }
  do_append(subject_forgotten_event::stream, expected_version::any(), {&event, 1});
  return keys->forget(subject) == detail::key_record::state::live;
}

std::uint64_t event_store::stream_version(std::string_view stream_id) {
  call_guard guard(*state_);
  validate_stream_id(stream_id);
  return do_stream_version(stream_id);
}

std::uint64_t event_store::head_position() {
  call_guard guard(*state_);
  std::uint64_t head = do_head_position();
  publish_head(head);
  return head;
}

std::vector<stream_summary> list_streams(event_store& store, std::string_view prefix,
                                         std::string_view after, std::size_t max_count) {
  event_store::call_guard guard(*store.state_);
  if (max_count == 0) throw invalid_argument("max_count must be at least 1");
  return store.do_list_streams(prefix, after, max_count);
}

store_description describe(event_store& store) {
  event_store::call_guard guard(*store.state_);
  return store.do_describe();
}

bool event_store::wait_for(std::uint64_t position, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // Ask the backend first: another process may have appended since the last look.
    std::uint64_t head = head_position();
    if (head >= position) return true;
    std::unique_lock lock(state_->head_mutex);
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    auto poll = std::chrono::milliseconds(state_->poll_ms.load(std::memory_order_relaxed));
    auto wake = std::min(deadline, now + poll);
    state_->head_changed.wait_until(lock, wake, [&] {
      return state_->known_head >= position || state_->closed.load(std::memory_order_acquire);
    });
    if (state_->closed.load(std::memory_order_acquire)) throw store_closed();
    if (state_->known_head >= position) return true;
  }
}

void event_store::close() {
  if (state_->closed.exchange(true, std::memory_order_acq_rel)) return;
  {
    std::lock_guard lock(state_->head_mutex);
    state_->head_changed.notify_all();
  }
  std::unique_lock lock(state_->lifecycle);
  do_close();
}

snapshot_store& event_store::snapshots() {
  call_guard guard(*state_);
  return *snapshots_;
}

uuid event_store::store_id() {
  call_guard guard(*state_);
  return do_store_id();
}

void adopt_store_id(event_store& store, const uuid& id) {
  event_store::call_guard guard(*store.state_);
  if (id.is_nil()) throw invalid_argument("a store identity cannot be the nil id");
  if (store.do_store_id() == id) return;
  store.do_adopt_store_id(id);
}

std::size_t event_store::do_erase_events(std::span<const event_erasure>) {
  throw invalid_argument(
      "this backend cannot erase events yet: its deletions and truncations hide events without "
      "erasing them (docs/lifecycle.md)");
}

scavenge_report scavenge(event_store& store, const scavenge_options& options) {
  event_store::call_guard guard(*store.state_);
  constexpr std::size_t page_size = 1000;
  scavenge_report report;
  report.dry_run = options.dry_run;
  std::vector<event_erasure> erasures;
  std::vector<std::uint64_t> erasure_bytes;
  auto erase_gathered = [&] {
    if (erasures.empty()) return;
    std::vector<std::size_t> order(erasures.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return erasures[a].position < erasures[b].position;
    });
    std::vector<event_erasure> sorted;
    sorted.reserve(erasures.size());
    for (std::size_t i : order) sorted.push_back(std::move(erasures[i]));
    std::size_t erased = store.do_erase_events(sorted);
    for (std::size_t k = 0; k < order.size(); ++k) {
      if (k < erased) {
        ++report.events_erased;
        report.bytes_erased += erasure_bytes[order[k]];
      } else {
        ++report.events_deferred;
      }
    }
    erasures.clear();
    erasure_bytes.clear();
  };
  std::string after;
  for (;;) {
    auto metadata_streams = store.do_list_streams(metadata_stream_prefix, after, page_size);
    for (const auto& m : metadata_streams) {
      std::string_view stream_id =
          std::string_view(m.stream_id).substr(metadata_stream_prefix.size());
      stream_state state = store.stored_lifecycle(stream_id);
      state.version = store.do_stream_version(stream_id);
      detail::visibility rule(state, std::chrono::system_clock::now());
      // Without a max age only the versions before the first visible one can be hidden.
      std::uint64_t last =
          state.metadata.max_age ? state.version : state.first_visible_version() - 1;
      for (std::uint64_t from = 1; from <= last;) {
        auto page = store.do_read_stream(stream_id, from, read_direction::forward, page_size);
        if (page.empty()) break;
        for (const auto& e : page) {
          if (e.stream_version > last || detail::is_system_event_type(e.type) || !rule.hides(e)) {
            continue;
          }
          std::uint64_t bytes = e.payload.size() + detail::encode_metadata(e.metadata).size();
          if (options.dry_run) {
            ++report.events_erased;
            report.bytes_erased += bytes;
          } else {
            erasures.push_back({e.position, detail::erased_payload(e)});
            erasure_bytes.push_back(bytes);
          }
        }
        from = page.back().stream_version + 1;
      }
      ++report.streams_examined;
      if (erasures.size() >= store.state_->erasures_per_call) erase_gathered();
      if (options.on_progress) options.on_progress(report);
    }
    if (metadata_streams.size() < page_size) break;
    after = metadata_streams.back().stream_id;
  }
  erase_gathered();
  return report;
}

log_slice read_stored_log(event_store& store, std::uint64_t from_position, std::size_t max_count) {
  event_store::call_guard guard(*store.state_);
  return store.do_read_all(std::max<std::uint64_t>(from_position, 1), max_count, {});
}

bool event_store::is_closed() const noexcept {
  return state_->closed.load(std::memory_order_acquire);
}

void event_store::publish_head(std::uint64_t head) noexcept {
  std::lock_guard lock(state_->head_mutex);
  if (head > state_->known_head) {
    state_->known_head = head;
    state_->head_changed.notify_all();
  }
}

void event_store::set_poll_interval(std::chrono::milliseconds interval) noexcept {
  state_->poll_ms.store(std::max<std::chrono::milliseconds::rep>(1, interval.count()),
                        std::memory_order_relaxed);
}

void event_store::set_stores_tags() noexcept { state_->stores_tags = true; }

void event_store::set_erasures_per_call(std::size_t count) noexcept {
  state_->erasures_per_call = std::max<std::size_t>(count, 1);
}

void event_store::set_max_payload_size(std::size_t size) {
  if (size == 0 || size > max_payload_size) {
    throw invalid_argument(
        fmt::format("max_payload_size must be 1 to {} bytes, not {}", max_payload_size, size));
  }
  state_->max_payload = size;
}

}  // namespace annal
