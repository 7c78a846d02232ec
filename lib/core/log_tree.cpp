// Reading a log's leaves: every event's digest, erased ones from their payloads.
#include "core/log_tree.hpp"

#include <fmt/format.h>

#include <charconv>
#include <functional>
#include <nlohmann/json.hpp>

#include "annal/error.hpp"
#include "annal/store_admin.hpp"
#include "core/event_digest.hpp"
#include "core/merkle_tree.hpp"
#include "core/stream_lifecycle.hpp"

namespace annal::detail {

sha256_digest stored_content_digest(const recorded_event& event) {
  if (event.type != erased_event_type) return content_digest(event);
  sha256_digest content{};
  auto json = nlohmann::json::parse(event.payload, nullptr, false);
  std::string hex =
      json.is_object() && json.contains("content_digest") && json["content_digest"].is_string()
          ? json["content_digest"].get<std::string>()
          : std::string();
  // Erased by an annal before erasure kept the digest: the event counts as it is stored, so that
  // such a store still opens, links and checks (and a change to it is still a change).
  if (!from_hex(hex, content)) return content_digest(event);
  return content;
}

sha256_digest stored_event_digest(const recorded_event& event) {
  // The place, id and timestamp are an erased event's own: erasure keeps them.
  return event_digest(event, stored_content_digest(event));
}

namespace {

// Calls `leaf` with the leaf hash of each event at positions `first` to `last`, in order.
void for_each_log_leaf(event_store& store, std::uint64_t first, std::uint64_t last,
                       const std::function<void(const sha256_digest&)>& leaf) {
  std::uint64_t next = first;
  while (next <= last) {
    // As stored: sealed personal fields stay sealed, so a forget changes no leaf.
    auto slice = read_stored_log(store, next, 10000);
    if (slice.events.empty()) {
      throw invalid_argument(fmt::format("the log ends before position {}", next));
    }
    if (slice.events.front().position != next) {
      throw invalid_argument(
          fmt::format("the log does not hold position {}: segment retention deleted its oldest "
                      "events, and a tree over the whole log cannot be computed",
                      next));
    }
    for (const auto& e : slice.events) {
      if (e.position > last) break;
      leaf(merkle_leaf_hash(stored_event_digest(e)));
    }
    next = slice.events.back().position + 1;
  }
}

}  // namespace

std::vector<sha256_digest> log_leaf_hashes(event_store& store, std::uint64_t size) {
  std::uint64_t head = store.head_position();
  if (size > head) {
    throw invalid_argument(fmt::format("the log holds {} events, not {}", head, size));
  }
  std::vector<sha256_digest> leaves;
  leaves.reserve(size);
  for_each_log_leaf(store, 1, size, [&](const sha256_digest& h) { leaves.push_back(h); });
  return leaves;
}

void extend_log_tree(event_store& store, merkle_frontier& frontier, std::uint64_t size) {
  for_each_log_leaf(store, frontier.size() + 1, size,
                    [&](const sha256_digest& h) { frontier.add(h); });
}

std::string log_origin(event_store& store) { return "annal/" + store.store_id().to_string(); }

}  // namespace annal::detail
