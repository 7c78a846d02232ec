// The export format: one event per line of JSON, every field, byte for byte (docs/cli.md).
#pragma once

#include <string>
#include <string_view>

#include "annal/event.hpp"

namespace annal::cli {

/// Appends `e` to `out` as one line of the export format, '\n' included. Payloads that are JSON
/// text without line breaks or surrounding whitespace are written as they are, other payloads
/// (and stream ids or types that are not UTF-8) in base64.
void append_event_line(std::string& out, const recorded_event& e);

/// Parses one line of the export format (without its '\n'). Throws annal::invalid_argument
/// saying which member is missing, repeated, unknown or malformed.
recorded_event parse_event_line(std::string_view line);

/// `e` as an indented JSON object for people, payload decoded when it is JSON; no final newline.
std::string pretty_event(const recorded_event& e);

}  // namespace annal::cli
