// Messages and accessors of the error hierarchy.
#include "annal/error.hpp"

#include <fmt/format.h>

namespace annal {

std::string_view to_string(errc code) noexcept {
  switch (code) {
    case errc::wrong_expected_version:
      return "wrong_expected_version";
    case errc::duplicate_event_id:
      return "duplicate_event_id";
    case errc::stream_not_found:
      return "stream_not_found";
    case errc::unknown_event_type:
      return "unknown_event_type";
    case errc::decode_failed:
      return "decode_failed";
    case errc::corruption:
      return "corruption";
    case errc::io_error:
      return "io_error";
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::store_closed:
      return "store_closed";
    case errc::unsupported_format_version:
      return "unsupported_format_version";
    case errc::upcast_failed:
      return "upcast_failed";
    case errc::stream_deleted:
      return "stream_deleted";
    case errc::personal_data_erased:
      return "personal_data_erased";
    case errc::append_condition_failed:
      return "append_condition_failed";
  }
  return "unknown";
}

error::error(errc code, const std::string& message) : std::runtime_error(message), code_(code) {}

wrong_expected_version::wrong_expected_version(std::string stream_id, std::string expected,
                                               std::uint64_t actual)
    : error(errc::wrong_expected_version,
            fmt::format("annal: wrong expected version for stream '{}': expected {}, actual {}",
                        stream_id, expected,
                        actual == 0 ? std::string("no_stream") : fmt::format("{}", actual))),
      stream_id_(std::move(stream_id)),
      expected_(std::move(expected)),
      actual_(actual) {}

duplicate_event_id::duplicate_event_id(std::string event_id, std::string stored_stream,
                                       std::uint64_t stored_version)
    : error(errc::duplicate_event_id,
            fmt::format("annal: event id {} is already stored as version {} of stream '{}' "
                        "and this append is not an exact retry of that batch",
                        event_id, stored_version, stored_stream)),
      event_id_(std::move(event_id)),
      stored_stream_(std::move(stored_stream)),
      stored_version_(stored_version) {}

stream_not_found::stream_not_found(std::string stream_id)
    : error(errc::stream_not_found, fmt::format("annal: stream '{}' not found", stream_id)),
      stream_id_(std::move(stream_id)) {}

stream_deleted::stream_deleted(std::string stream_id)
    : error(errc::stream_deleted,
            fmt::format("annal: stream '{}' is deleted for good (it has a tombstone)", stream_id)),
      stream_id_(std::move(stream_id)) {}

append_condition_failed::append_condition_failed(std::uint64_t after,
                                                 std::uint64_t conflicting_position)
    : error(errc::append_condition_failed,
            fmt::format(
                "annal: the append's condition failed: an event matching its query is stored at "
                "position {}, after position {}",
                conflicting_position, after)),
      after_(after),
      conflicting_position_(conflicting_position) {}

personal_data_erased::personal_data_erased()
    : error(errc::personal_data_erased,
            "annal: the personal data was erased: its subject was forgotten "
            "(event_store::forget)") {}

stored_event_error::stored_event_error(errc code, const std::string& message,
                                       const std::string& type, std::uint32_t type_version,
                                       const std::string& stream_id, std::uint64_t position)
    : error(code, message),
      type_(type),
      type_version_(type_version),
      stream_id_(stream_id),
      position_(position) {}

unknown_event_type::unknown_event_type(std::string type, std::string stream_id,
                                       std::uint64_t position)
    : stored_event_error(
          errc::unknown_event_type,
          position == 0
              ? fmt::format("annal: unknown event type '{}'", type)
              : fmt::format("annal: unknown event type '{}' at position {} in stream '{}'", type,
                            position, stream_id),
          type, 1, stream_id, position) {}

namespace {

std::string unknown_version_message(const std::string& type, std::uint32_t type_version,
                                    std::uint32_t known_version, const std::string& stream_id,
                                    std::uint64_t position) {
  std::string where = position == 0
                          ? std::string()
                          : fmt::format(" at position {} in stream '{}'", position, stream_id);
  if (known_version == 0) {
    return fmt::format("annal: unknown event type '{}' version {}{}", type, type_version, where);
  }
  std::string why =
      type_version > known_version
          ? fmt::format("newer than version {}, the newest this program knows", known_version)
          : fmt::format("this program knows version {} and reads no older one", known_version);
  return fmt::format("annal: unknown event type '{}' version {}{}: {}", type, type_version, where,
                     why);
}

}  // namespace

unknown_event_type::unknown_event_type(std::string type, std::uint32_t type_version,
                                       std::uint32_t known_version, std::string stream_id,
                                       std::uint64_t position)
    : stored_event_error(
          errc::unknown_event_type,
          unknown_version_message(type, type_version, known_version, stream_id, position), type,
          type_version, stream_id, position) {}

upcast_failed::upcast_failed(std::string type, std::uint32_t type_version, std::string stream_id,
                             std::uint64_t position, const std::string& reason)
    : stored_event_error(
          errc::upcast_failed,
          position == 0
              ? fmt::format("annal: the upcaster of '{}' version {} failed: {}", type, type_version,
                            reason)
              : fmt::format("annal: the upcaster of '{}' version {} failed at position {} in "
                            "stream '{}': {}",
                            type, type_version, position, stream_id, reason),
          type, type_version, stream_id, position) {}

decode_failed::decode_failed(std::string type, std::string field_path, const std::string& reason)
    : error(errc::decode_failed, field_path.empty()
                                     ? fmt::format("annal: cannot decode '{}': {}", type, reason)
                                     : fmt::format("annal: cannot decode '{}' at field '{}': {}",
                                                   type, field_path, reason)),
      type_(std::move(type)),
      field_path_(std::move(field_path)) {}

corruption::corruption(std::string path, std::int64_t offset, const std::string& reason)
    : error(errc::corruption,
            offset < 0
                ? fmt::format("annal: corruption in '{}': {}", path, reason)
                : fmt::format("annal: corruption in '{}' at offset {}: {}", path, offset, reason)),
      path_(std::move(path)),
      offset_(offset) {}

io_error::io_error(int system_code, std::string path, const std::string& reason)
    : error(errc::io_error, path.empty()
                                ? fmt::format("annal: I/O error: {}", reason)
                                : fmt::format("annal: I/O error on '{}': {}", path, reason)),
      system_code_(system_code),
      path_(std::move(path)) {}

invalid_argument::invalid_argument(const std::string& reason)
    : error(errc::invalid_argument, "annal: invalid argument: " + reason) {}

store_closed::store_closed() : error(errc::store_closed, "annal: the store is closed") {}

unsupported_format_version::unsupported_format_version(std::string path, std::int64_t found,
                                                       std::int64_t supported)
    : error(errc::unsupported_format_version,
            fmt::format("annal: '{}' has format version {}, but this build of annal supports "
                        "versions up to {}; upgrade annal to open it",
                        path, found, supported)),
      found_(found),
      supported_(supported) {}

}  // namespace annal
