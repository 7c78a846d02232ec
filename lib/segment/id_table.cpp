// Open-addressing id table: UUIDs hash by their random bits, so probing stays short.
#include "segment/id_table.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

namespace annal::segment {
namespace {

struct words {
  std::uint64_t high;
  std::uint64_t low;
};

// Big-endian words, so comparing (high, low) orders ids as their bytes do.
words split(const uuid& id) noexcept {
  words w;
  std::memcpy(&w.high, id.bytes().data(), 8);
  std::memcpy(&w.low, id.bytes().data() + 8, 8);
  if constexpr (std::endian::native == std::endian::little) {
    w.high = __builtin_bswap64(w.high);
    w.low = __builtin_bswap64(w.low);
  }
  return w;
}

std::uint64_t hash_of(std::uint64_t high, std::uint64_t low) noexcept {
  // Mix both halves: a UUIDv7's low half is random, but callers may supply any UUID.
  std::uint64_t h = (low ^ (high * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
  return h ^ (h >> 32);
}

}  // namespace

std::size_t id_table::index_of(std::uint64_t high, std::uint64_t low) const noexcept {
  std::size_t mask = slots_.size() - 1;
  std::size_t i = hash_of(high, low) & mask;
  while (!slots_[i].empty() && (slots_[i].high != high || slots_[i].low != low)) {
    i = (i + 1) & mask;
  }
  return i;
}

std::optional<std::uint64_t> id_table::find(const uuid& id) const noexcept {
  auto [high, low] = split(id);
  if (sorted_.empty()) return std::nullopt;
  const slot& last = sorted_.back();
  // Every stored id is at most the last of the sorted run: a larger one is new.
  if (high > last.high || (high == last.high && low > last.low)) return std::nullopt;
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), slot{high, low, 0},
                             [](const slot& a, const slot& b) {
                               return a.high < b.high || (a.high == b.high && a.low < b.low);
                             });
  if (it != sorted_.end() && it->high == high && it->low == low) return it->position;
  if (unordered_ == 0) return std::nullopt;
  const slot& s = slots_[index_of(high, low)];
  if (s.empty()) return std::nullopt;
  return s.position;
}

void id_table::insert(const uuid& id, std::uint64_t position) {
  auto [high, low] = split(id);
  if (sorted_.empty() || high > sorted_.back().high ||
      (high == sorted_.back().high && low > sorted_.back().low)) {
    sorted_.push_back({high, low, position});
    return;
  }
  insert_unordered(high, low, position);
}

void id_table::insert_unordered(std::uint64_t high, std::uint64_t low, std::uint64_t position) {
  if ((unordered_ + 1) * 2 > slots_.size()) {
    grow(std::max<std::size_t>(1024, slots_.size() * 2));
  }
  slot& s = slots_[index_of(high, low)];
  if (s.empty()) ++unordered_;
  s = {high, low, position};
}

std::vector<std::pair<uuid, std::uint64_t>> id_table::entries_from(std::uint64_t position) const {
  auto to_uuid = [](const slot& s) {
    std::array<std::uint8_t, 16> bytes;
    std::uint64_t high = s.high;
    std::uint64_t low = s.low;
    if constexpr (std::endian::native == std::endian::little) {
      high = __builtin_bswap64(high);
      low = __builtin_bswap64(low);
    }
    std::memcpy(bytes.data(), &high, 8);
    std::memcpy(bytes.data() + 8, &low, 8);
    return uuid(bytes);
  };
  std::vector<std::pair<uuid, std::uint64_t>> out;
  auto first = std::partition_point(sorted_.begin(), sorted_.end(),
                                    [&](const slot& s) { return s.position < position; });
  for (auto it = first; it != sorted_.end(); ++it) out.emplace_back(to_uuid(*it), it->position);
  if (unordered_ > 0) {
    for (const slot& s : slots_) {
      if (!s.empty() && s.position >= position) out.emplace_back(to_uuid(s), s.position);
    }
  }
  return out;
}

void id_table::grow(std::size_t capacity) {
  std::vector<slot> old(capacity);
  old.swap(slots_);
  for (const slot& s : old) {
    if (!s.empty()) slots_[index_of(s.high, s.low)] = s;
  }
}

void id_table::clear() noexcept {
  sorted_.clear();
  sorted_.shrink_to_fit();
  slots_.clear();
  slots_.shrink_to_fit();
  unordered_ = 0;
}

}  // namespace annal::segment
