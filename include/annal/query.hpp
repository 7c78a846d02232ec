// Tags and queries across streams: what a dynamic consistency boundary reads and conditions on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "annal/event.hpp"
#include "annal/export.hpp"

namespace annal {

/// The longest tag, in bytes.
inline constexpr std::size_t max_tag_size = 256;
/// The most tags one event may carry.
inline constexpr std::size_t max_tags_per_event = 32;
/// The most items one query may have.
inline constexpr std::size_t max_query_items = 64;
/// The most types one query item may name.
inline constexpr std::size_t max_item_types = 64;

/// Every event carries the tag stream_tag_prefix + its stream id implicitly (it is not stored);
/// an event_data tag with this prefix is refused, so the tag always means the stream.
inline constexpr std::string_view stream_tag_prefix = "stream:";

/// The stream of the conditional appends that name none (event_store::append(events, condition)).
inline constexpr std::string_view dcb_stream_id = "$dcb";

/// The implicit tag of the events of `stream_id`: "stream:" followed by the id. Never throws but
/// std::bad_alloc.
ANNAL_EXPORT std::string stream_tag(std::string_view stream_id);

/// Checks one tag as event_data::tags and query items accept it: 1 to max_tag_size bytes of valid
/// UTF-8 without NUL, not starting with '$' (annal's own). Throws annal::invalid_argument naming
/// the rule it breaks. `implicit_stream_tag_allowed` admits "stream:..." (query items may name it,
/// events may not carry it).
ANNAL_EXPORT void validate_tag(std::string_view tag, bool implicit_stream_tag_allowed = false);

/// One item of a query: an event matches when its type is one of `types` (any type when empty)
/// and it carries every tag of `tags` (no constraint when empty). An item with neither matches
/// every event.
struct query_item {
  std::vector<std::string> types = {};
  std::vector<std::string> tags = {};

  friend bool operator==(const query_item&, const query_item&) = default;
};

/// The events matching any of its items (docs/dcb.md). A query of no items matches every event
/// (query::all()). Values are normalised: each item's types and tags sorted and deduplicated.
/// Copyable; not thread-safe to modify, safe to read from many threads.
class ANNAL_EXPORT query {
 public:
  /// Matches every event.
  query() = default;
  /// Matches every event: as a condition, the uniqueness pattern's strictest form (nothing may be
  /// stored after the condition's position).
  static query all();
  /// The union of `items`; no items is all(). Throws annal::invalid_argument for more than
  /// max_query_items items, an item with more than max_item_types types or max_tags_per_event
  /// tags, an empty or oversize type, a tag validate_tag() refuses, or a stream's tag
  /// (stream_tag()) whose id annal::validate_stream_id() refuses.
  static query of(std::vector<query_item> items);

  /// Adds `item` (validated as of() does). all() absorbs: a query matching every event still
  /// does, so start a query from of() with its first item, never from a default-constructed
  /// query (which is all()).
  query& or_item(query_item item);
  /// The union of two queries; all() absorbs.
  friend ANNAL_EXPORT query operator|(query a, const query& b);

  /// True when the query matches every event (it has no items: an item with neither types nor
  /// tags makes the whole query all()).
  bool matches_all() const noexcept { return items_.empty(); }
  /// The items, normalised.
  std::span<const query_item> items() const noexcept { return items_; }

  /// Whether an event of `stream_id` and `type`, carrying `tags` (in any order), matches. The
  /// implicit stream tag counts. The rule every backend's index must agree with. Thread-safe.
  bool matches(std::string_view stream_id, std::string_view type,
               std::span<const std::string> tags) const noexcept;
  /// matches() of a recorded event.
  bool matches(const recorded_event& event) const noexcept;

  friend bool operator==(const query&, const query&) = default;

 private:
  std::vector<query_item> items_;
};

/// The condition of a conditional append: fail when an event matching `fail_if_events_match` is
/// stored at a position after `after` (exclusive; 0 means the whole log).
struct append_condition {
  query fail_if_events_match;
  std::uint64_t after = 0;
};

/// What event_store::read_events() returns.
struct query_page {
  /// The matching events after the read's position, in position order, at most the count asked
  /// for; fewer means no more matched up to read_up_to.
  std::vector<recorded_event> events;
  /// The head of the log the read saw. A decision made from every page of a query appends with
  /// append_condition{that query, read_up_to of its last page}: an event matching the query
  /// stored after the read fails the append, while the events it read do not.
  std::uint64_t read_up_to = 0;
};

}  // namespace annal
