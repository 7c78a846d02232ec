// The append rule every backend obeys: idempotent retry, duplicate id, expected version.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "annal/event.hpp"
#include "annal/event_store.hpp"
#include "annal/expected_version.hpp"
#include "annal/query.hpp"
#include "core/function_ref.hpp"

namespace annal::detail {

/// Where an event id already is: committed in the log, or accepted earlier in the same commit
/// group (a place the group's commit will make true).
struct event_place {
  std::string stream_id;
  std::uint64_t stream_version = 0;
  std::uint64_t position = 0;
};

/// Where `id` is, or nullopt when it is neither committed nor earlier in the commit group. May
/// throw (annal::io_error, annal::corruption); the decision then throws the same.
using place_lookup = function_ref<std::optional<event_place>(const uuid& id)>;

/// What an append must do, decided before anything is written.
struct append_decision {
  enum class verdict : std::uint8_t {
    write,                   ///< Write the batch after the stream's current version.
    retry,                   ///< An exact retry of a stored batch: write nothing, return `stored`.
    duplicate_event_id,      ///< Event `event_index`'s id is stored at `place`: refuse.
    wrong_expected_version,  ///< The stream is at `current_version`, which the append refuses.
    wrong_position,     ///< append_recorded(): the batch does not start at `required_position`.
    stream_deleted,     ///< The stream's last event is a tombstone: refuse.
    condition_failed,   ///< An event matching the append's condition is at `conflicting_position`.
    after_beyond_head,  ///< The condition's position is beyond the head (`head`): refuse.
  };
  verdict outcome = verdict::write;
  /// retry: the stored batch's positions and the version of its last event; written is false.
  append_result stored;
  /// duplicate_event_id: which event of the batch, and where its id is.
  std::size_t event_index = 0;
  event_place place;
  /// The stream's version when decided (every verdict).
  std::uint64_t current_version = 0;
  /// wrong_position: the head + 1.
  std::uint64_t required_position = 0;
  /// condition_failed: the first position after the condition's that holds a matching event.
  std::uint64_t conflicting_position = 0;
  /// after_beyond_head: the head when decided.
  std::uint64_t head = 0;
};

/// The first position after `after` holding an event that matches `q`, committed or accepted
/// earlier in the same commit group; nullopt when there is none. May throw what reading throws.
using condition_probe =
    function_ref<std::optional<std::uint64_t>(const query& q, std::uint64_t after)>;

/// A batch accepted earlier in the same commit group: `events` at positions from
/// `first_position` in `stream_id`.
struct accepted_batch {
  std::string_view stream_id;
  std::uint64_t first_position;
  std::span<const event_data> events;
};

/// The probe of a conditional append in a commit group: the first position after `after` holding
/// an event that `q` matches, committed (up to `committed_head`, the log starting at `log_start`)
/// or in `group` (the group's earlier batches, after the committed log). A query matching every
/// event needs no lookup; otherwise `committed_lookup(q, after)` finds the committed one, with the
/// backend's index. May throw what `committed_lookup` throws.
std::optional<std::uint64_t> first_condition_match(const query& q, std::uint64_t after,
                                                   std::uint64_t committed_head,
                                                   std::uint64_t log_start,
                                                   condition_probe committed_lookup,
                                                   std::span<const accepted_batch> group);

/// The rule of append() (docs/concepts.md, "Idempotency"), in this order: when the first
/// event's id is stored, the append is a retry if every event of the batch is stored in
/// `stream_id` at consecutive versions from there and `expected` agrees with where the first
/// one is (exact(n): at n + 1; no_stream: at 1), otherwise a duplicate of event 0; when
/// another event's id is stored, a duplicate of the first such event; when `expected` does not
/// another event's id is stored, a duplicate of the first such event; when the stream is
/// `tombstoned` (its last event has type tombstone_event_type, core/stream_lifecycle.hpp), a
/// deleted stream; when `expected` does not match `current_version`, a wrong expected version;
/// else a write. `events` is a validated batch. Looks up ids through `lookup` only as far as the
/// verdict needs. Pure apart from the lookup; thread safety is the lookup's.
append_decision decide_append(std::string_view stream_id, expected_version expected,
                              std::span<const event_data> events, std::uint64_t current_version,
                              bool tombstoned, place_lookup lookup);

/// The rule of a conditional append (event_store::append with an annal::append_condition): a
/// condition whose position is beyond `head` is refused first (bad input, whatever else holds);
/// then decide_append()'s rule, so that a retry of a stored batch is recognised even though its
/// own events now match the condition; when that says write, the append fails if `probe` finds an
/// event matching the condition's query after its position. Pure apart from the lookups.
append_decision decide_conditional_append(std::string_view stream_id, expected_version expected,
                                          std::span<const event_data> events,
                                          std::uint64_t current_version, bool tombstoned,
                                          place_lookup lookup, const append_condition& condition,
                                          std::uint64_t head, condition_probe probe);

/// The rule of append_recorded(), which has no retry: the batch must start at `head` + 1, no id
/// of it may be stored anywhere, the stream must not be `tombstoned`, and its first version must
/// be `current_version` + 1 (a wrong expected version of exact(first version - 1) otherwise).
/// `events` is a validated recorded batch (one stream, consecutive positions and versions).
append_decision decide_recorded_append(std::span<const recorded_event> events, std::uint64_t head,
                                       std::uint64_t current_version, bool tombstoned,
                                       place_lookup lookup);

/// Throws the error a refusing decision of an append() batch stands for:
/// annal::duplicate_event_id, annal::stream_deleted, annal::wrong_expected_version,
/// annal::append_condition_failed (with `after`, the condition's position) or
/// annal::invalid_argument (after_beyond_head); returns for write and retry.
void enforce(const append_decision& decision, std::string_view stream_id, expected_version expected,
             std::span<const event_data> events, std::uint64_t after = 0);
/// The same for an append_recorded() batch, whose wrong_position is annal::invalid_argument.
void enforce(const append_decision& decision, std::span<const recorded_event> events);

}  // namespace annal::detail
