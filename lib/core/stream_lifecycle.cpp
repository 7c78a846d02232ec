// Metadata records, deletion events and the visibility rule of deleted, truncated and expiring
// streams.
#include "core/stream_lifecycle.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "annal/error.hpp"
#include "core/event_digest.hpp"

namespace annal::detail {

std::string metadata_stream_of(std::string_view stream_id) {
  std::string id(metadata_stream_prefix);
  id += stream_id;
  return id;
}

bool is_metadata_stream(std::string_view stream_id) noexcept {
  return stream_id.starts_with(metadata_stream_prefix);
}

bool is_system_event_type(std::string_view type) noexcept {
  return type.starts_with(system_event_type_prefix);
}

event_data encode_metadata_record(const metadata_record& record) {
  nlohmann::json j = {{"truncate_before", record.metadata.truncate_before},
                      {"deleted_at", record.deleted_at},
                      {"tombstoned", record.tombstoned}};
  if (record.metadata.max_count) j["max_count"] = *record.metadata.max_count;
  if (record.metadata.max_age) j["max_age_seconds"] = record.metadata.max_age->count();
  event_data e;
  e.type = std::string(metadata_event_type);
  e.payload = j.dump();
  return e;
}

metadata_record decode_metadata_record(const recorded_event& event) {
  auto damaged = [&](const std::string& why) {
    return corruption(event.stream_id, static_cast<std::int64_t>(event.position),
                      fmt::format("stream metadata at position {} {}", event.position, why));
  };
  if (event.type != metadata_event_type) {
    throw damaged(fmt::format("has type '{}', not '{}'", event.type, metadata_event_type));
  }
  nlohmann::json j = nlohmann::json::parse(event.payload, nullptr, false);
  if (!j.is_object()) throw damaged("is not a JSON object");
  auto count = [&](const char* key, bool required) -> std::optional<std::uint64_t> {
    auto found = j.find(key);
    if (found == j.end()) {
      if (required) throw damaged(fmt::format("lacks '{}'", key));
      return std::nullopt;
    }
    if (!found->is_number_unsigned()) throw damaged(fmt::format("has a bad '{}'", key));
    return found->get<std::uint64_t>();
  };
  metadata_record r;
  r.metadata.truncate_before = *count("truncate_before", true);
  r.deleted_at = *count("deleted_at", true);
  r.metadata.max_count = count("max_count", false);
  if (auto age = count("max_age_seconds", false)) {
    r.metadata.max_age = std::chrono::seconds(static_cast<std::int64_t>(*age));
  }
  auto tombstoned = j.find("tombstoned");
  if (tombstoned == j.end() || !tombstoned->is_boolean()) throw damaged("has a bad 'tombstoned'");
  r.tombstoned = tombstoned->get<bool>();
  return r;
}

event_data deletion_event(deletion how, std::string_view reason) {
  if (reason.size() > max_deletion_reason_size) {
    throw invalid_argument(fmt::format("a deletion reason is {} bytes long; the limit is {}",
                                       reason.size(), max_deletion_reason_size));
  }
  event_data e;
  e.type = std::string(how == deletion::hard ? stream_tombstoned_event::type
                                             : stream_deleted_event::type);
  try {
    e.payload = nlohmann::json{{"reason", reason}}.dump();
  } catch (const nlohmann::json::type_error&) {
    throw invalid_argument("a deletion reason is not valid UTF-8");
  }
  return e;
}

void validate_stream_metadata(const stream_metadata& metadata, std::uint64_t stream_version) {
  if (metadata.max_count && *metadata.max_count == 0) {
    throw invalid_argument("max_count must be at least 1 (leave it empty for no limit)");
  }
  if (metadata.max_age && metadata.max_age->count() <= 0) {
    throw invalid_argument("max_age must be at least 1 second (leave it empty for no limit)");
  }
  if (metadata.truncate_before > stream_version + 1) {
    throw invalid_argument(
        fmt::format("cannot truncate before version {}: the stream is at version {}, so "
                    "truncate_before can be at most {}",
                    metadata.truncate_before, stream_version, stream_version + 1));
  }
}

visibility::visibility(const stream_state& state, std::chrono::system_clock::time_point now)
    : first_(state.first_visible_version()) {
  if (state.metadata.max_age) oldest_ = now - *state.metadata.max_age;
}

bool visibility::hides(const recorded_event& event) const noexcept {
  return event.stream_version < first_ || (oldest_ && event.timestamp < *oldest_);
}

void visibility::hide_through(std::uint64_t version) noexcept {
  first_ = std::max(first_, version + 1);
}

std::string erased_payload(const recorded_event& event) {
  return nlohmann::json{{"type", event.type},
                        {"version", event.type_version},
                        {"content_digest", to_hex(content_digest(event))}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void drop_hidden(std::vector<recorded_event>& events, const stream_state& state,
                 std::chrono::system_clock::time_point now) {
  visibility rule(state, now);
  // A deletion event among the results that the metadata does not record hides what precedes it.
  for (const auto& e : events) {
    if (rule.hides(e) || !is_system_event_type(e.type)) continue;
    if (e.type == tombstone_event_type) throw stream_deleted(e.stream_id);
    if (e.type == stream_deleted_event::type) rule.hide_through(e.stream_version);
  }
  std::erase_if(events, [&](const recorded_event& e) { return rule.hides(e); });
}

}  // namespace annal::detail
