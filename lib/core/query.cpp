// Queries over tags and types: their limits, their normal form and the one matching rule.
#include "annal/query.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "annal/error.hpp"
#include "annal/event_store.hpp"
#include "annal/json.hpp"
#include "core/event_rules.hpp"
#include "core/query_plan.hpp"

namespace annal {
namespace {

void sort_unique(std::vector<std::string>& values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
}

// Validates `item` and brings it to normal form.
void normalise(query_item& item, std::size_t index) {
  if (item.types.size() > max_item_types) {
    throw invalid_argument(fmt::format("query item {} names {} types; the limit is {}", index,
                                       item.types.size(), max_item_types));
  }
  if (item.tags.size() > max_tags_per_event) {
    throw invalid_argument(fmt::format("query item {} names {} tags; the limit is {}", index,
                                       item.tags.size(), max_tags_per_event));
  }
  for (const auto& type : item.types) detail::validate_event_type(type);
  for (const auto& tag : item.tags) {
    // A stream's tag names any stream id the store accepts, which a tag's rules would not.
    if (tag.starts_with(stream_tag_prefix)) {
      validate_stream_id(std::string_view(tag).substr(stream_tag_prefix.size()));
    } else {
      validate_tag(tag);
    }
  }
  sort_unique(item.types);
  sort_unique(item.tags);
}

bool has_tag(std::span<const std::string> tags, std::string_view wanted) {
  return std::find(tags.begin(), tags.end(), wanted) != tags.end();
}

}  // namespace

std::string stream_tag(std::string_view stream_id) {
  std::string tag(stream_tag_prefix);
  tag += stream_id;
  return tag;
}

std::string detail::tag_problem(std::string_view tag, bool implicit_stream_tag_allowed) {
  if (tag.empty()) return "a tag is empty";
  if (tag.size() > max_tag_size) {
    return fmt::format("a tag is {} bytes long; the limit is {}", tag.size(), max_tag_size);
  }
  if (tag.find('\0') != std::string_view::npos) return "a tag contains a NUL byte";
  if (!is_valid_utf8(tag)) return "a tag is not valid UTF-8";
  if (tag.front() == '$') {
    return fmt::format("the tag \"{}\" starts with '$', which is annal's own", tag);
  }
  if (!implicit_stream_tag_allowed && tag.starts_with(stream_tag_prefix)) {
    return fmt::format(
        "the tag \"{}\" starts with \"{}\": every event carries its stream's tag implicitly, so "
        "an event may not carry one",
        tag, stream_tag_prefix);
  }
  return {};
}

std::string detail::stored_tags_problem(std::span<const std::string> tags) {
  if (tags.size() > max_tags_per_event) {
    return fmt::format("the event has {} tags; the limit is {}", tags.size(), max_tags_per_event);
  }
  for (const auto& tag : tags) {
    if (auto wrong = tag_problem(tag, false); !wrong.empty()) return wrong;
  }
  if (std::adjacent_find(tags.begin(), tags.end(), std::greater_equal<>()) != tags.end()) {
    return "the event's tags are not stored sorted and distinct";
  }
  return {};
}

void validate_tag(std::string_view tag, bool implicit_stream_tag_allowed) {
  if (auto problem = detail::tag_problem(tag, implicit_stream_tag_allowed); !problem.empty()) {
    throw invalid_argument(problem);
  }
}

query query::all() { return {}; }

query query::of(std::vector<query_item> items) {
  if (items.size() > max_query_items) {
    throw invalid_argument(
        fmt::format("a query has {} items; the limit is {}", items.size(), max_query_items));
  }
  for (std::size_t i = 0; i < items.size(); ++i) normalise(items[i], i);
  query q;
  for (auto& item : items) {
    // An item that matches everything makes the whole query all().
    if (item.types.empty() && item.tags.empty()) return all();
    if (std::find(q.items_.begin(), q.items_.end(), item) == q.items_.end()) {
      q.items_.push_back(std::move(item));
    }
  }
  return q;
}

query& query::or_item(query_item item) {
  if (matches_all()) {
    normalise(item, 0);
    return *this;
  }
  std::vector<query_item> items = std::move(items_);
  items.push_back(std::move(item));
  *this = of(std::move(items));
  return *this;
}

query operator|(query a, const query& b) {
  if (a.matches_all() || b.matches_all()) return query::all();
  std::vector<query_item> items = std::move(a.items_);
  items.insert(items.end(), b.items_.begin(), b.items_.end());
  return query::of(std::move(items));
}

bool query::matches(std::string_view stream_id, std::string_view type,
                    std::span<const std::string> tags) const noexcept {
  if (items_.empty()) return true;
  for (const auto& item : items_) {
    if (!item.types.empty() &&
        std::find(item.types.begin(), item.types.end(), type) == item.types.end()) {
      continue;
    }
    bool all_tags = std::all_of(item.tags.begin(), item.tags.end(), [&](const std::string& t) {
      if (t.starts_with(stream_tag_prefix) &&
          std::string_view(t).substr(stream_tag_prefix.size()) == stream_id) {
        return true;
      }
      return has_tag(tags, t);
    });
    if (all_tags) return true;
  }
  return false;
}

bool query::matches(const recorded_event& event) const noexcept {
  return matches(event.stream_id, event.type, event.tags);
}

std::optional<detail::item_plan> detail::plan_item(const query_item& item) {
  item_plan plan;
  plan.types = item.types;
  for (const auto& tag : item.tags) {
    if (!tag.starts_with(stream_tag_prefix)) {
      plan.tags.push_back(tag);
      continue;
    }
    std::string_view id = std::string_view(tag).substr(stream_tag_prefix.size());
    if (plan.stream && *plan.stream != id) return std::nullopt;
    plan.stream = id;
  }
  return plan;
}

}  // namespace annal
