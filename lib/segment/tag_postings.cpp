// The segment store's index of tags and types, and how a query item walks it.
#include "segment/tag_postings.hpp"

#include <algorithm>

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

const std::vector<std::uint64_t>* tag_postings::find(const posting_map& map, std::string_view key) {
  auto it = map.find(key);
  return it == map.end() ? nullptr : &it->second;
}

void tag_postings::add_type(std::uint64_t position, std::string_view type) {
  auto it = by_type_.find(type);
  if (it == by_type_.end())
    it = by_type_.emplace(std::string(type), std::vector<std::uint64_t>{}).first;
  it->second.push_back(position);
}

void tag_postings::add_tag(std::uint64_t position, std::string_view tag) {
  auto it = by_tag_.find(tag);
  if (it == by_tag_.end())
    it = by_tag_.emplace(std::string(tag), std::vector<std::uint64_t>{}).first;
  it->second.push_back(position);
}

bool tag_postings::has_tag(std::string_view tag, std::uint64_t position) const {
  const auto* positions = find(by_tag_, tag);
  return positions != nullptr && contains(*positions, position);
}

bool tag_postings::has_type(std::span<const std::string> types, std::uint64_t position) const {
  if (types.empty()) return true;
  return std::any_of(types.begin(), types.end(), [&](const std::string& type) {
    const auto* positions = find(by_type_, type);
    return positions != nullptr && contains(*positions, position);
  });
}

std::vector<std::uint64_t> tag_postings::matching(const detail::item_plan& plan,
                                                  std::uint64_t after, std::uint64_t up_to,
                                                  std::size_t limit) const {
  std::vector<std::uint64_t> out;
  if (!plan.tags.empty()) {
    const std::vector<std::uint64_t>* rarest = nullptr;
    for (std::string_view tag : plan.tags) {
      const auto* positions = find(by_tag_, tag);
      if (positions == nullptr) return out;
      if (rarest == nullptr || positions->size() < rarest->size()) rarest = positions;
    }
    auto from = std::upper_bound(rarest->begin(), rarest->end(), after);
    for (auto it = from; it != rarest->end() && *it <= up_to && out.size() < limit; ++it) {
      bool all = std::all_of(plan.tags.begin(), plan.tags.end(), [&](std::string_view tag) {
        const auto* positions = find(by_tag_, tag);
        return positions == rarest || contains(*positions, *it);
      });
      if (all && has_type(plan.types, *it)) out.push_back(*it);
    }
    return out;
  }
  // Types only: each type's first `limit` positions, merged (an event has one type).
  for (const std::string& type : plan.types) {
    if (const auto* positions = find(by_type_, type))
      append_range(*positions, after, up_to, limit, out);
  }
  std::sort(out.begin(), out.end());
  if (out.size() > limit) out.resize(limit);
  return out;
}

void tag_postings::drop_before(std::uint64_t position) {
  for (auto* map : {&by_type_, &by_tag_}) {
    for (auto it = map->begin(); it != map->end();) {
      auto& positions = it->second;
      positions.erase(positions.begin(),
                      std::lower_bound(positions.begin(), positions.end(), position));
      it = positions.empty() ? map->erase(it) : std::next(it);
    }
  }
}

}  // namespace annal::segment
