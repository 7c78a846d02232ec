// Decoding an events row: the id's size, the metadata and the type version are checked.
#include "sqlite/event_row.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>

#include "annal/error.hpp"
#include "core/metadata_json.hpp"
#include "core/type_version.hpp"

namespace annal::sqlite {

recorded_event read_event_row(const statement& s, std::string stream_id, const std::string& path) {
  recorded_event e;
  e.position = static_cast<std::uint64_t>(s.column_int(0));
  e.stream_version = static_cast<std::uint64_t>(s.column_int(1));
  e.type = s.column_text(2);
  std::string id = s.column_text(3);
  if (id.size() != 16) {
    throw corruption(
        path, -1, fmt::format("event at position {} has an id of {} bytes", e.position, id.size()));
  }
  std::array<std::uint8_t, 16> bytes;
  std::copy(id.begin(), id.end(), bytes.begin());
  e.id = uuid(bytes);
  e.timestamp = std::chrono::system_clock::time_point(std::chrono::microseconds(s.column_int(4)));
  e.encoding = static_cast<payload_encoding>(s.column_int(5));
  e.metadata = detail::decode_metadata(s.column_text(6), path);
  e.payload = s.column_text(7);
  e.type_version = detail::stored_type_version(s.column_int(8), e.position, path);
  if (!s.column_is_null(9)) e.tags = split_stored_tags(s.column_text(9));
  e.stream_id = std::move(stream_id);
  return e;
}

std::vector<std::string> split_stored_tags(std::string_view stored) {
  std::vector<std::string> tags;
  for (std::size_t start = 0;;) {
    std::size_t end = stored.find('\0', start);
    tags.emplace_back(stored.substr(start, end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return tags;
}

std::string stored_tags(const std::vector<std::string>& tags) {
  std::string joined;
  for (std::size_t i = 0; i < tags.size(); ++i) {
    if (i > 0) joined.push_back('\0');
    joined += tags[i];
  }
  return joined;
}

}  // namespace annal::sqlite
