// The two shapes of an event: event_data going into a store, recorded_event coming out.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "annal/uuid.hpp"

namespace annal {

/// How an event's payload bytes are encoded. Stored with each event.
enum class payload_encoding : std::uint8_t {
  json = 1,    ///< UTF-8 JSON text; what the typed codec writes.
  binary = 2,  ///< Opaque bytes that annal never interprets.
};

/// Metadata that travels with an event. All fields are optional (empty means absent).
struct event_metadata {
  /// Groups every event caused, directly or not, by one request or message.
  std::string correlation_id;
  /// The id of the event or message that directly caused this one.
  std::string causation_id;
  /// Application key/values, stored and returned unchanged.
  std::map<std::string, std::string> properties;
  /// Whose personal data the payload holds (e.g. a customer id), at most max_subject_size bytes,
  /// no NUL. The payload's annal::personal fields are encrypted with this subject's key and read
  /// as erased once event_store::forget() destroyed it (docs/privacy.md). Store an opaque id,
  /// not personal data: the subject itself is stored in the clear.
  std::string subject;

  bool empty() const noexcept {
    return correlation_id.empty() && causation_id.empty() && properties.empty() && subject.empty();
  }
  friend bool operator==(const event_metadata&, const event_metadata&) = default;
};

/// An event to append. The id defaults to a fresh UUIDv7, so retrying the same event_data
/// object is idempotent (see docs/concepts.md, "Idempotency").
struct event_data {
  /// Unique across the whole store. Must not be nil.
  uuid id = uuid::v7();
  /// The event type name, e.g. "order.created": 1 to 256 bytes, no NUL.
  std::string type;
  /// The encoded payload, at most store_options::max_payload_size bytes (16 MiB by default).
  std::string payload;
  payload_encoding encoding = payload_encoding::json;
  event_metadata metadata;
  /// The version of the event type's shape, 1 to max_type_version (docs/evolution.md). The
  /// typed codec writes the struct's `static constexpr int version` (1 when it has none).
  std::uint32_t type_version = 1;
  /// What queries across streams find the event by (docs/dcb.md): at most max_tags_per_event
  /// distinct tags, each as annal::validate_tag() accepts (annal/query.hpp). Stored as a set:
  /// read back sorted.
  std::vector<std::string> tags = {};
};

/// The largest payload a store can accept, in bytes (16 MiB); store_options::max_payload_size
/// may lower it.
inline constexpr std::size_t max_payload_size = 16u << 20;

/// The deepest nesting of arrays and objects a JSON payload may have (`[[1]]` nests 2 deep).
/// Every store refuses a deeper JSON payload with annal::invalid_argument, so that no reader
/// of the log (a parser, a printer, the codec) meets unbounded recursion.
inline constexpr std::size_t max_payload_nesting = 256;

/// The longest subject (event_metadata::subject) a store accepts, in bytes.
inline constexpr std::size_t max_subject_size = 256;

/// The largest event type version a store accepts.
inline constexpr std::uint32_t max_type_version = 65535;

/// An event as stored: event_data plus the place and time the store gave it.
struct recorded_event {
  /// Global position in the store's log: 1 for the first event, gapless, in commit order.
  std::uint64_t position = 0;
  std::string stream_id;
  /// Version within the stream: 1 for the stream's first event, gapless.
  std::uint64_t stream_version = 0;
  std::string type;
  uuid id;
  /// When the store committed the event, UTC, with microsecond precision.
  std::chrono::system_clock::time_point timestamp;
  event_metadata metadata;
  std::string payload;
  payload_encoding encoding = payload_encoding::json;
  /// The version of the event type's shape it was written with (see event_data::type_version).
  std::uint32_t type_version = 1;
  /// Its tags (event_data::tags), sorted; the implicit stream tag is not among them.
  std::vector<std::string> tags = {};

  friend bool operator==(const recorded_event&, const recorded_event&) = default;
};

}  // namespace annal
