// The checks of an event's fields that appends, reads and queries share.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace annal::detail {

/// Checks an event type name: 1 to max_event_type_size bytes, no NUL. Throws
/// annal::invalid_argument naming the rule it breaks.
void validate_event_type(std::string_view type);

/// What is wrong with `tag` (annal::validate_tag()'s rules), or "" when nothing is.
std::string tag_problem(std::string_view tag, bool implicit_stream_tag_allowed);

/// What is wrong with a stored event's tags (each as tag_problem() checks it; stored sorted and
/// distinct, at most max_tags_per_event), or "" when nothing is. For verify.
std::string stored_tags_problem(std::span<const std::string> tags);

}  // namespace annal::detail
