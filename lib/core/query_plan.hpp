// How a backend serves one query item: its stream (from the implicit stream tag), its stored
// tags and its types, or that it can match nothing.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "annal/query.hpp"

namespace annal::detail {

/// One query item split by what serves it. Views into the item, which must outlive the plan.
struct item_plan {
  /// The stream the item's implicit stream tag (stream_tag()) names, if it has one.
  std::optional<std::string_view> stream;
  /// The item's tags other than the stream's: stored tags, every one required. Sorted.
  std::vector<std::string_view> tags;
  /// The item's types (any type when empty). Sorted.
  std::span<const std::string> types;
};

/// The plan of `item` (normalised, as query keeps it), or nullopt when it can match no event: it
/// names two streams' tags, and an event has one stream. An item with neither types nor tags
/// never reaches a backend (query::matches_all()). Never throws but std::bad_alloc.
std::optional<item_plan> plan_item(const query_item& item);

}  // namespace annal::detail
