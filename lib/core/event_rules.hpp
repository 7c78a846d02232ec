// The checks of an event's fields that appends, reads and queries share.
#pragma once

#include <string>
#include <string_view>

namespace annal::detail {

/// Checks an event type name: 1 to max_event_type_size bytes, no NUL. Throws
/// annal::invalid_argument naming the rule it breaks.
void validate_event_type(std::string_view type);

/// What is wrong with `tag` (annal::validate_tag()'s rules), or "" when nothing is.
std::string tag_problem(std::string_view tag, bool implicit_stream_tag_allowed);

}  // namespace annal::detail
