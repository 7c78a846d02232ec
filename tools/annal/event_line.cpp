// Writing and parsing export lines; payload bytes are carried verbatim, never re-serialised.
#include "event_line.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "annal/detail/time_text.hpp"
#include "annal/error.hpp"
#include "base64.hpp"
#include "core/json_nesting.hpp"
#include "core/metadata_json.hpp"

namespace annal::cli {
namespace {

using json = nlohmann::json;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The JSON text of a string, or nullopt when it is not valid UTF-8.
std::optional<std::string> json_string(std::string_view s) {
  try {
    return json(s).dump();
  } catch (const json::type_error&) {
    return std::nullopt;
  }
}

// Writes "key":"text", or "key_base64":"..." when the text is not UTF-8.
void append_text_member(std::string& out, std::string_view key, std::string_view value) {
  if (auto text = json_string(value)) {
    fmt::format_to(std::back_inserter(out), ",\"{}\":{}", key, *text);
  } else {
    fmt::format_to(std::back_inserter(out), ",\"{}_base64\":\"{}\"", key, base64_encode(value));
  }
}

// A JSON payload goes into the line as it is when that keeps the line one line and the value's
// bytes exactly what a parser of the line sees.
bool payload_fits_verbatim(const recorded_event& e) {
  const std::string& p = e.payload;
  return e.encoding == payload_encoding::json && !p.empty() && !is_space(p.front()) &&
         !is_space(p.back()) && p.find_first_of("\n\r") == std::string::npos && json::accept(p);
}

std::string_view encoding_name(payload_encoding encoding) {
  return encoding == payload_encoding::json ? "json" : "binary";
}

// Scans a JSON object's members without parsing their values, so a value's exact bytes can be
// kept. Values are checked later by parsing each one on its own.
class member_scanner {
 public:
  /// `name` says what a member is called in messages: `member "KEY" appears twice` by default.
  explicit member_scanner(std::string_view text, std::string name = "member")
      : text_(text), name_(std::move(name)) {}

  std::map<std::string, std::string_view> members() {
    std::map<std::string, std::string_view> out;
    skip_space();
    expect('{');
    skip_space();
    if (peek() == '}') {
      ++at_;
    } else {
      for (;;) {
        skip_space();
        std::size_t key_start = at_;
        skip_string();
        std::string key;
        try {
          key = json::parse(text_.substr(key_start, at_ - key_start)).get<std::string>();
        } catch (const json::exception&) {
          fail("a member name is not a valid JSON string");
        }
        skip_space();
        expect(':');
        skip_space();
        std::size_t value_start = at_;
        skip_value();
        if (!out.emplace(key, text_.substr(value_start, at_ - value_start)).second) {
          throw invalid_argument(fmt::format("{} \"{}\" appears twice", name_, key));
        }
        skip_space();
        if (peek() == ',') {
          ++at_;
          continue;
        }
        expect('}');
        break;
      }
    }
    skip_space();
    if (at_ != text_.size()) fail("text follows the object");
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    throw invalid_argument(fmt::format("not a JSON object: {} (at byte {})", what, at_));
  }
  char peek() const { return at_ < text_.size() ? text_[at_] : '\0'; }
  void expect(char c) {
    if (peek() != c) fail(fmt::format("expected '{}'", c));
    ++at_;
  }
  void skip_space() {
    while (at_ < text_.size() && is_space(text_[at_])) ++at_;
  }
  void skip_string() {
    expect('"');
    while (at_ < text_.size() && text_[at_] != '"') at_ += text_[at_] == '\\' ? 2 : 1;
    expect('"');
  }
  // Skips one value: strings and nesting are followed, scalars end at a delimiter.
  void skip_value() {
    int depth = 0;
    for (;;) {
      if (at_ >= text_.size()) {
        if (depth == 0) return;
        fail("the object is not closed");
      }
      char c = text_[at_];
      if (depth == 0 && (c == ',' || c == '}' || c == ']' || is_space(c))) return;
      if (c == '"') {
        skip_string();
        continue;
      }
      if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        --depth;
      }
      ++at_;
    }
  }

  std::string_view text_;
  std::string name_;
  std::size_t at_ = 0;
};

json parse_value(std::string_view key, std::string_view raw) {
  try {
    return json::parse(raw);
  } catch (const json::exception&) {
    throw invalid_argument(fmt::format("member \"{}\" is not valid JSON", key));
  }
}

std::uint64_t take_count(std::map<std::string, std::string_view>& m, const std::string& key) {
  auto it = m.find(key);
  if (it == m.end()) throw invalid_argument("member \"" + key + "\" is missing");
  json v = parse_value(key, it->second);
  m.erase(it);
  if (!v.is_number_unsigned() || v.get<std::uint64_t>() == 0) {
    throw invalid_argument("member \"" + key + "\" must be a whole number from 1");
  }
  return v.get<std::uint64_t>();
}

std::string take_string(std::map<std::string, std::string_view>& m, const std::string& key) {
  auto it = m.find(key);
  if (it == m.end()) throw invalid_argument("member \"" + key + "\" is missing");
  json v = parse_value(key, it->second);
  m.erase(it);
  if (!v.is_string()) throw invalid_argument("member \"" + key + "\" must be a string");
  return v.get<std::string>();
}

std::string take_base64(std::map<std::string, std::string_view>& m, const std::string& key) {
  auto decoded = base64_decode(take_string(m, key));
  if (!decoded) throw invalid_argument("member \"" + key + "\" is not valid base64");
  return *decoded;
}

// A text member written plainly as KEY or, when it is not UTF-8, as KEY_base64.
std::string take_text(std::map<std::string, std::string_view>& m, const std::string& key) {
  bool plain = m.contains(key);
  bool encoded = m.contains(key + "_base64");
  if (plain == encoded) {
    throw invalid_argument(
        fmt::format("exactly one of \"{0}\" and \"{0}_base64\" must be given", key));
  }
  return plain ? take_string(m, key) : take_base64(m, key + "_base64");
}

// Metadata exactly as annal stores it: correlation_id, causation_id and subject (strings),
// properties (an object of strings). A key annal cannot hold, or one given twice, is refused rather
// than dropped: an import keeps every key/value it accepts.
event_metadata take_metadata(std::string_view raw) {
  if (!parse_value("metadata", raw).is_object()) {
    throw invalid_argument("member \"metadata\" must be an object");
  }
  const std::string context = "member \"metadata\": key";
  auto keys = member_scanner(raw, context).members();
  for (const auto& [key, value] : keys) {
    if (key != "correlation_id" && key != "causation_id" && key != "properties" &&
        key != "subject") {
      throw invalid_argument(fmt::format(
          "member \"metadata\" has an unknown key \"{}\"; it holds only correlation_id, "
          "causation_id, subject and properties (an object of strings, for the application's own "
          "keys)",
          key));
    }
  }
  if (auto properties = keys.find("properties");
      properties != keys.end() && parse_value("metadata", properties->second).is_object()) {
    member_scanner(properties->second, context).members();  // a key given twice
  }
  try {
    return detail::decode_metadata(raw, "metadata");
  } catch (const corruption&) {
    throw invalid_argument(
        "member \"metadata\" must hold only correlation_id, causation_id, subject (strings) "
        "and properties (an object of strings)");
  }
}

// Refuses JSON nested deeper than any store accepts, naming the member.
void refuse_deep_payload(std::string_view json_text) {
  if (detail::nests_too_deep_for_a_payload(json_text)) {
    throw invalid_argument(
        fmt::format("member \"payload\" is JSON nested more than {} levels deep, which no store "
                    "accepts (annal::max_payload_nesting)",
                    max_payload_nesting));
  }
}

}  // namespace

void append_event_line(std::string& out, const recorded_event& e) {
  fmt::format_to(std::back_inserter(out), "{{\"position\":{}", e.position);
  append_text_member(out, "stream", e.stream_id);
  fmt::format_to(std::back_inserter(out), ",\"version\":{}", e.stream_version);
  append_text_member(out, "type", e.type);
  // Absent means 1, so exports of stores without versioned types read as they always did.
  if (e.type_version != 1) {
    fmt::format_to(std::back_inserter(out), ",\"type_version\":{}", e.type_version);
  }
  fmt::format_to(std::back_inserter(out), ",\"id\":\"{}\",\"timestamp\":\"{}\",\"encoding\":\"{}\"",
                 e.id.to_string(), detail::format_rfc3339(e.timestamp), encoding_name(e.encoding));
  std::string metadata = detail::encode_metadata(e.metadata);
  fmt::format_to(std::back_inserter(out), ",\"metadata\":{}",
                 metadata.empty() ? std::string_view("{}") : std::string_view(metadata));
  // Absent when none, so exports of stores without tags read as they always did.
  if (!e.tags.empty()) {
    fmt::format_to(std::back_inserter(out), ",\"tags\":{}", nlohmann::json(e.tags).dump());
  }
  if (payload_fits_verbatim(e)) {
    fmt::format_to(std::back_inserter(out), ",\"payload\":{}}}\n", e.payload);
  } else {
    fmt::format_to(std::back_inserter(out), ",\"payload_base64\":\"{}\"}}\n",
                   base64_encode(e.payload));
  }
}

recorded_event parse_event_line(std::string_view line) {
  auto m = member_scanner(line).members();
  recorded_event e;
  e.position = take_count(m, "position");
  e.stream_id = take_text(m, "stream");
  e.stream_version = take_count(m, "version");
  e.type = take_text(m, "type");
  if (m.contains("type_version")) {
    std::uint64_t type_version = take_count(m, "type_version");
    if (type_version > max_type_version) {
      throw invalid_argument(fmt::format("member \"type_version\" must be at most {}, not {}",
                                         max_type_version, type_version));
    }
    e.type_version = static_cast<std::uint32_t>(type_version);
  }
  e.id = uuid::parse(take_string(m, "id"));
  e.timestamp = detail::parse_rfc3339(take_string(m, "timestamp"));
  if (e.timestamp.time_since_epoch() % std::chrono::microseconds(1) !=
      std::chrono::system_clock::duration::zero()) {
    throw invalid_argument("member \"timestamp\" is more precise than a microsecond");
  }
  std::string encoding = take_string(m, "encoding");
  if (encoding == "json") {
    e.encoding = payload_encoding::json;
  } else if (encoding == "binary") {
    e.encoding = payload_encoding::binary;
  } else {
    throw invalid_argument("member \"encoding\" must be \"json\" or \"binary\", not \"" + encoding +
                           "\"");
  }
  if (auto it = m.find("metadata"); it != m.end()) {
    e.metadata = take_metadata(it->second);
    m.erase(it);
  }
  if (auto it = m.find("tags"); it != m.end()) {
    auto tags = parse_value("tags", it->second);
    if (!tags.is_array()) throw invalid_argument("member \"tags\" must be an array of strings");
    for (const auto& tag : tags) {
      if (!tag.is_string()) throw invalid_argument("member \"tags\" must be an array of strings");
      e.tags.push_back(tag.get<std::string>());
    }
    // A set, as stores read it back: a line's order does not matter.
    std::sort(e.tags.begin(), e.tags.end());
    m.erase(it);
  }
  bool plain = m.contains("payload");
  if (plain == m.contains("payload_base64")) {
    throw invalid_argument("exactly one of \"payload\" and \"payload_base64\" must be given");
  }
  if (plain) {
    if (e.encoding != payload_encoding::json) {
      throw invalid_argument("a binary payload must be given as \"payload_base64\"");
    }
    std::string_view raw = m["payload"];
    refuse_deep_payload(raw);  // before parsing it, so a hostile line costs only its length
    parse_value("payload", raw);
    e.payload = std::string(raw);
    m.erase("payload");
  } else {
    e.payload = take_base64(m, "payload_base64");
    if (e.encoding == payload_encoding::json) refuse_deep_payload(e.payload);
  }
  if (!m.empty()) throw invalid_argument("unknown member \"" + m.begin()->first + "\"");
  return e;
}

std::string pretty_event(const recorded_event& e) {
  // Ordered, so members appear as in the export format and payload members as stored.
  using ordered = nlohmann::ordered_json;
  ordered j = ordered::object();
  j["position"] = e.position;
  j["stream"] = json_string(e.stream_id) ? e.stream_id : "base64:" + base64_encode(e.stream_id);
  j["version"] = e.stream_version;
  j["type"] = json_string(e.type) ? e.type : "base64:" + base64_encode(e.type);
  if (e.type_version != 1) j["type_version"] = e.type_version;
  j["id"] = e.id.to_string();
  j["timestamp"] = detail::format_rfc3339(e.timestamp);
  j["encoding"] = encoding_name(e.encoding);
  std::string metadata = detail::encode_metadata(e.metadata);
  j["metadata"] = metadata.empty() ? ordered::object() : ordered::parse(metadata);
  if (!e.tags.empty()) j["tags"] = e.tags;
  // json::accept() and the parser loop without recursion; dump() recurses once per level, so a
  // payload nested deeper than any store accepts now (written by another tool or an older
  // annal) is printed as it is stored, on one line, instead of indented.
  bool is_json = e.encoding == payload_encoding::json && json::accept(e.payload);
  if (is_json && !detail::nests_too_deep_for_a_payload(e.payload)) {
    j["payload"] = ordered::parse(e.payload);
    return j.dump(2);
  }
  if (!is_json) {
    j["payload_base64"] = base64_encode(e.payload);
    return j.dump(2);
  }
  std::string text = j.dump(2);
  text.pop_back();  // the closing '}', after a '\n'
  text.pop_back();
  fmt::format_to(std::back_inserter(text), ",\n  \"payload\": {}\n}}", e.payload);
  return text;
}

}  // namespace annal::cli
