// JSON encoding of event metadata.
#include "core/metadata_json.hpp"

#include <nlohmann/json.hpp>

#include "annal/error.hpp"

namespace annal::detail {

std::string encode_metadata(const event_metadata& metadata) {
  if (metadata.empty()) return {};
  nlohmann::json j = nlohmann::json::object();
  if (!metadata.correlation_id.empty()) j["correlation_id"] = metadata.correlation_id;
  if (!metadata.causation_id.empty()) j["causation_id"] = metadata.causation_id;
  if (!metadata.properties.empty()) j["properties"] = metadata.properties;
  if (!metadata.subject.empty()) j["subject"] = metadata.subject;
  try {
    return j.dump();
  } catch (const nlohmann::json::type_error&) {
    throw invalid_argument("event metadata is not valid UTF-8");
  }
}

event_metadata decode_metadata(std::string_view text, const std::string& where) {
  event_metadata metadata;
  if (text.empty()) return metadata;
  try {
    auto j = nlohmann::json::parse(text);
    if (!j.is_object()) throw corruption(where, -1, "event metadata is not a JSON object");
    if (auto it = j.find("correlation_id"); it != j.end()) {
      metadata.correlation_id = it->get<std::string>();
    }
    if (auto it = j.find("causation_id"); it != j.end()) {
      metadata.causation_id = it->get<std::string>();
    }
    if (auto it = j.find("properties"); it != j.end()) {
      metadata.properties = it->get<std::map<std::string, std::string>>();
    }
    if (auto it = j.find("subject"); it != j.end()) metadata.subject = it->get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw corruption(where, -1, std::string("event metadata is malformed: ") + e.what());
  }
  return metadata;
}

}  // namespace annal::detail
