// The census of a log's (type, version) pairs, read page by page.
#include "annal/stored_types.hpp"

#include <map>
#include <utility>

#include "annal/event_store.hpp"

namespace annal {

std::vector<stored_type> stored_types(event_store& store) {
  constexpr std::size_t page_size = 4096;
  std::map<std::pair<std::string, std::uint32_t>, stored_type> found;
  std::uint64_t head = store.head_position();
  for (std::uint64_t from = 1; from <= head;) {
    auto slice = store.read_all(from, page_size);
    for (const auto& event : slice.events) {
      if (event.position > head) break;
      auto [it, added] = found.try_emplace({event.type, event.type_version});
      stored_type& t = it->second;
      if (added) {
        t.type = event.type;
        t.type_version = event.type_version;
        t.first_position = event.position;
      }
      ++t.count;
      t.last_position = event.position;
    }
    if (slice.end_of_log || slice.next_position <= from) break;
    from = slice.next_position;
  }
  std::vector<stored_type> out;
  out.reserve(found.size());
  for (auto& [key, t] : found) out.push_back(std::move(t));
  return out;
}

}  // namespace annal
