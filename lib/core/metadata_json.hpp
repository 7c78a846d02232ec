// The stored form of event metadata: a small JSON object, shared by every backend.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "annal/event.hpp"

namespace annal::detail {

/// Encodes metadata as compact JSON: {"correlation_id":..,"causation_id":..,"properties":{..},
/// "subject":..}, leaving out empty members. Returns an empty string for empty metadata. Throws
/// annal::invalid_argument when a member is not valid UTF-8.
std::string encode_metadata(const event_metadata& metadata);

/// Decodes what encode_metadata() wrote; an empty string gives empty metadata. Throws
/// annal::corruption naming `where` when the text is not such an object.
event_metadata decode_metadata(std::string_view text, const std::string& where);

/// encode_metadata() of each event of a batch (event_data or recorded_event), in order.
template <class Event>
std::vector<std::string> encode_all_metadata(std::span<const Event> events) {
  std::vector<std::string> metadata;
  metadata.reserve(events.size());
  for (const auto& e : events) metadata.push_back(encode_metadata(e.metadata));
  return metadata;
}

}  // namespace annal::detail
