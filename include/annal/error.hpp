// The error hierarchy: every failure annal reports is an annal::error carrying an errc.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "annal/export.hpp"

namespace annal {

/// Stable identifiers of the failures annal reports. The numeric values are part of the API.
enum class errc {
  wrong_expected_version = 1,       ///< The stream was not at the version the append expected.
  duplicate_event_id = 2,           ///< An event id is already stored elsewhere in the log.
  stream_not_found = 3,             ///< An operation needed a stream that has no events.
  unknown_event_type = 4,           ///< A stored event's type is not in the decoding variant.
  decode_failed = 5,                ///< A payload does not match the event struct.
  corruption = 6,                   ///< Stored data is damaged or not an annal store.
  io_error = 7,                     ///< The operating system or the database engine failed.
  invalid_argument = 8,             ///< A caller passed a value annal does not accept.
  store_closed = 9,                 ///< The store was used after close().
  unsupported_format_version = 10,  ///< The store was written by a newer version of annal.
  upcast_failed = 11,               ///< A user's upcaster threw while reading a stored event.
  stream_deleted = 12,              ///< The stream was deleted with a tombstone (deletion::hard).
  personal_data_erased = 13,        ///< An erased annal::personal value was read (its subject was
                                    ///< forgotten).
  append_condition_failed = 14,     ///< An event matching a conditional append's query is stored
                                    ///< after the condition's position.
};

/// The name of an error code, e.g. "wrong_expected_version". Never throws.
ANNAL_EXPORT std::string_view to_string(errc code) noexcept;

/// Base of every exception annal throws. The message is one line that says what failed and
/// where (stream, position, field, file) so it can be logged as it is.
class ANNAL_EXPORT error : public std::runtime_error {
 public:
  error(errc code, const std::string& message);
  /// The stable identifier of this failure.
  errc code() const noexcept { return code_; }

 private:
  errc code_;
};

/// An append's expected version did not match the stream. Retrying with a fresh read is safe.
class ANNAL_EXPORT wrong_expected_version : public error {
 public:
  wrong_expected_version(std::string stream_id, std::string expected, std::uint64_t actual);
  const std::string& stream_id() const noexcept { return stream_id_; }
  /// The expectation as text, e.g. "exact(3)" or "no_stream".
  const std::string& expected() const noexcept { return expected_; }
  /// The stream's version when the append was checked; 0 means the stream has no events.
  std::uint64_t actual_version() const noexcept { return actual_; }

 private:
  std::string stream_id_;
  std::string expected_;
  std::uint64_t actual_;
};

/// An event id of the batch is already stored, but not as an exact retry of this batch.
class ANNAL_EXPORT duplicate_event_id : public error {
 public:
  duplicate_event_id(std::string event_id, std::string stored_stream, std::uint64_t stored_version);
  /// The id in canonical text form.
  const std::string& event_id() const noexcept { return event_id_; }
  const std::string& stored_stream_id() const noexcept { return stored_stream_; }
  std::uint64_t stored_version() const noexcept { return stored_version_; }

 private:
  std::string event_id_;
  std::string stored_stream_;
  std::uint64_t stored_version_;
};

/// The stream has no events.
class ANNAL_EXPORT stream_not_found : public error {
 public:
  explicit stream_not_found(std::string stream_id);
  const std::string& stream_id() const noexcept { return stream_id_; }

 private:
  std::string stream_id_;
};

/// The stream carries a tombstone (event_store::delete_stream with deletion::hard): it reads as
/// deleted and refuses every append, forever.
class ANNAL_EXPORT stream_deleted : public error {
 public:
  explicit stream_deleted(std::string stream_id);
  const std::string& stream_id() const noexcept { return stream_id_; }

 private:
  std::string stream_id_;
};

/// An error about one stored event: its type name and version, stream and position.
class ANNAL_EXPORT stored_event_error : public error {
 public:
  const std::string& type() const noexcept { return type_; }
  /// The version of the type, as stored or as an upcaster produced it.
  std::uint32_t type_version() const noexcept { return type_version_; }
  const std::string& stream_id() const noexcept { return stream_id_; }
  /// The global position of the event, 0 when it was not read from a store.
  std::uint64_t position() const noexcept { return position_; }

 protected:
  stored_event_error(errc code, const std::string& message, const std::string& type,
                     std::uint32_t type_version, const std::string& stream_id,
                     std::uint64_t position);

 private:
  std::string type_;
  std::uint32_t type_version_;
  std::string stream_id_;
  std::uint64_t position_;
};

/// A stored event's type name is not one the decoder knows, or not at the version stored.
class ANNAL_EXPORT unknown_event_type : public stored_event_error {
 public:
  /// An unknown type name, stored at version 1.
  unknown_event_type(std::string type, std::string stream_id, std::uint64_t position);
  /// The type is known but not at `type_version`, the version stored: newer than
  /// `known_version`, the version of the program's struct, or older with nothing that reads it.
  /// `known_version` 0: no event type of that name is known, at any version.
  unknown_event_type(std::string type, std::uint32_t type_version, std::uint32_t known_version,
                     std::string stream_id, std::uint64_t position);
};

/// An upcaster (see upcaster.hpp) threw while reading the stored event at `position` in
/// `stream_id`; type() and type_version() are what that upcaster reads.
class ANNAL_EXPORT upcast_failed : public stored_event_error {
 public:
  upcast_failed(std::string type, std::uint32_t type_version, std::string stream_id,
                std::uint64_t position, const std::string& reason);
};

/// A payload could not be decoded into its struct: malformed JSON, a missing field, a value of
/// the wrong type or out of range.
class ANNAL_EXPORT decode_failed : public error {
 public:
  /// `field_path` is like "items[2].sku"; empty when the payload as a whole is bad.
  decode_failed(std::string type, std::string field_path, const std::string& reason);
  const std::string& type() const noexcept { return type_; }
  const std::string& field_path() const noexcept { return field_path_; }

 private:
  std::string type_;
  std::string field_path_;
};

/// Stored bytes are damaged, or the file is not an annal store.
class ANNAL_EXPORT corruption : public error {
 public:
  /// `offset` is the byte offset in `path` where the damage was found, or -1 when unknown.
  corruption(std::string path, std::int64_t offset, const std::string& reason);
  const std::string& path() const noexcept { return path_; }
  std::int64_t offset() const noexcept { return offset_; }

 private:
  std::string path_;
  std::int64_t offset_;
};

/// An operating-system or database-engine call failed.
class ANNAL_EXPORT io_error : public error {
 public:
  /// `system_code` is the errno value (or the engine's own code), `path` the file involved.
  io_error(int system_code, std::string path, const std::string& reason);
  int system_code() const noexcept { return system_code_; }
  const std::string& path() const noexcept { return path_; }

 private:
  int system_code_;
  std::string path_;
};

/// A caller passed a value annal does not accept (an invalid stream id, an empty batch, ...).
class ANNAL_EXPORT invalid_argument : public error {
 public:
  explicit invalid_argument(const std::string& reason);
};

/// The store was used after close().
class ANNAL_EXPORT store_closed : public error {
 public:
  store_closed();
};

/// annal::personal::value() was called on a value whose subject was forgotten
/// (event_store::forget); the data is gone for good. Check erased() or use value_or() first.
class ANNAL_EXPORT personal_data_erased : public error {
 public:
  personal_data_erased();
};

/// A conditional append (annal::append_condition) found an event matching its query stored after
/// the condition's position; nothing was written. Read again from the condition's query, decide
/// again and retry.
class ANNAL_EXPORT append_condition_failed : public error {
 public:
  append_condition_failed(std::uint64_t after, std::uint64_t conflicting_position);
  /// The condition's position.
  std::uint64_t after() const noexcept { return after_; }
  /// The first position after after() that holds a matching event.
  std::uint64_t conflicting_position() const noexcept { return conflicting_position_; }

 private:
  std::uint64_t after_;
  std::uint64_t conflicting_position_;
};

/// The store's format version is newer than this build of annal understands.
class ANNAL_EXPORT unsupported_format_version : public error {
 public:
  unsupported_format_version(std::string path, std::int64_t found, std::int64_t supported);
  std::int64_t found() const noexcept { return found_; }
  std::int64_t supported() const noexcept { return supported_; }

 private:
  std::int64_t found_;
  std::int64_t supported_;
};

}  // namespace annal
