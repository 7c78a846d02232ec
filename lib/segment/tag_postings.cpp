// The segment store's query index, and how a query item walks it.
#include "segment/tag_postings.hpp"

#include <algorithm>

#include "core/crc32c.hpp"
#include "segment/byte_io.hpp"

namespace annal::segment {
namespace {

bool contains(const std::vector<std::uint64_t>& positions, std::uint64_t position) {
  return std::binary_search(positions.begin(), positions.end(), position);
}

// Appends the positions of `positions` in (after, up_to], at most `limit` of them.
void append_range(const std::vector<std::uint64_t>& positions, std::uint64_t after,
                  std::uint64_t up_to, std::size_t limit, std::vector<std::uint64_t>& out) {
  auto from = std::upper_bound(positions.begin(), positions.end(), after);
  for (auto it = from; it != positions.end() && *it <= up_to && out.size() < limit; ++it) {
    out.push_back(*it);
  }
}

}  // namespace

std::uint32_t spot_crc(std::uint64_t position, std::string_view bytes) noexcept {
  char le[8];
  for (int i = 0; i < 8; ++i) le[i] = static_cast<char>(position >> (8 * i));
  return detail::crc32c(as_bytes(bytes), detail::crc32c(as_bytes({le, sizeof le})));
}

std::uint32_t tag_postings::type_id(std::string_view type) {
  auto it = by_type_.find(type);
  if (it == by_type_.end()) {
    auto id = static_cast<std::uint32_t>(type_names_.size());
    type_names_.emplace_back(type);
    it = by_type_.emplace(std::string(type), type_entry{id, {}}).first;
  }
  return it->second.id;
}

const std::vector<std::uint64_t>* tag_postings::type_positions(std::string_view type) const {
  auto it = by_type_.find(type);
  return it == by_type_.end() ? nullptr : &it->second.positions;
}

const std::vector<std::uint64_t>* tag_postings::tag_positions(std::string_view tag) const {
  auto it = by_tag_.find(tag);
  return it == by_tag_.end() ? nullptr : &it->second;
}

void tag_postings::add_event(std::uint64_t position, std::string_view type, event_spot spot) {
  spot.type = type_id(type);
  by_type_.find(type)->second.positions.push_back(position);
  if (spots_.empty()) first_spot_ = position;
  spots_.push_back(spot);
}

void tag_postings::add_tag(std::uint64_t position, std::string_view tag) {
  auto it = by_tag_.find(tag);
  if (it == by_tag_.end()) {
    it = by_tag_.emplace(std::string(tag), std::vector<std::uint64_t>{}).first;
  }
  it->second.push_back(position);
}

void tag_postings::add_events(std::uint64_t first_position, std::span<const event_spot> spots,
                              std::span<const std::string> types) {
  std::vector<type_entry*> entries;  // by the spots' type index
  entries.reserve(types.size());
  for (const auto& type : types)
    entries.push_back(&by_type_.find(type_names_[type_id(type)])->second);
  if (spots_.empty()) first_spot_ = first_position;
  for (std::size_t i = 0; i < spots.size(); ++i) {
    type_entry& entry = *entries[spots[i].type];
    entry.positions.push_back(first_position + i);
    event_spot spot = spots[i];
    spot.type = entry.id;
    spots_.push_back(spot);
  }
}

void tag_postings::add_tag_positions(std::string_view tag,
                                     std::span<const std::uint64_t> positions) {
  auto it = by_tag_.find(tag);
  if (it == by_tag_.end()) {
    it = by_tag_.emplace(std::string(tag), std::vector<std::uint64_t>{}).first;
  }
  it->second.insert(it->second.end(), positions.begin(), positions.end());
}

void tag_postings::move_event(std::uint64_t position, std::string_view type, event_spot spot) {
  if (position < first_spot_ || position - first_spot_ >= spots_.size()) return;
  spot.type = type_id(type);
  spots_[position - first_spot_] = spot;
}

void tag_postings::forget_tags(std::uint64_t position, std::span<const std::string> tags) {
  for (const auto& tag : tags) {
    auto it = by_tag_.find(tag);
    if (it == by_tag_.end()) continue;
    auto& positions = it->second;
    auto at = std::lower_bound(positions.begin(), positions.end(), position);
    if (at != positions.end() && *at == position) positions.erase(at);
    if (positions.empty()) by_tag_.erase(it);
  }
}

const event_spot* tag_postings::spot(std::uint64_t position) const {
  if (position < first_spot_ || position - first_spot_ >= spots_.size()) return nullptr;
  return &spots_[position - first_spot_];
}

bool tag_postings::has_tag(std::string_view tag, std::uint64_t position) const {
  const auto* positions = tag_positions(tag);
  return positions != nullptr && contains(*positions, position);
}

bool tag_postings::has_type(std::span<const std::string> types, std::uint64_t position) const {
  if (types.empty()) return true;
  return std::any_of(types.begin(), types.end(), [&](const std::string& type) {
    const auto* positions = type_positions(type);
    return positions != nullptr && contains(*positions, position);
  });
}

std::vector<std::uint64_t> tag_postings::matching(const detail::item_plan& plan,
                                                  std::uint64_t after, std::uint64_t up_to,
                                                  std::size_t limit) const {
  std::vector<std::uint64_t> out;
  if (!plan.tags.empty()) {
    std::vector<const std::vector<std::uint64_t>*> lists;
    for (std::string_view tag : plan.tags) {
      const auto* positions = tag_positions(tag);
      if (positions == nullptr) return out;
      lists.push_back(positions);
    }
    std::sort(lists.begin(), lists.end(), [](auto* a, auto* b) { return a->size() < b->size(); });
    const auto& rarest = *lists.front();
    auto from = std::upper_bound(rarest.begin(), rarest.end(), after);
    for (auto it = from; it != rarest.end() && *it <= up_to && out.size() < limit; ++it) {
      bool all = std::all_of(lists.begin() + 1, lists.end(),
                             [&](const auto* positions) { return contains(*positions, *it); });
      if (all && has_type(plan.types, *it)) out.push_back(*it);
    }
    return out;
  }
  // Types only: each type's first `limit` positions, merged (an event has one type).
  for (const std::string& type : plan.types) {
    if (const auto* positions = type_positions(type)) {
      append_range(*positions, after, up_to, limit, out);
    }
  }
  std::sort(out.begin(), out.end());
  if (out.size() > limit) out.resize(limit);
  return out;
}

void tag_postings::drop_before(std::uint64_t position) {
  auto trim = [&](std::vector<std::uint64_t>& positions) {
    positions.erase(positions.begin(),
                    std::lower_bound(positions.begin(), positions.end(), position));
  };
  for (auto& [type, entry] : by_type_) trim(entry.positions);  // ids stay: spots name them
  for (auto it = by_tag_.begin(); it != by_tag_.end();) {
    trim(it->second);
    it = it->second.empty() ? by_tag_.erase(it) : std::next(it);
  }
  while (!spots_.empty() && first_spot_ < position) {
    spots_.pop_front();
    ++first_spot_;
  }
}

}  // namespace annal::segment
