// What the tool's process tests share: stores of each backend filled with every kind of event.
#pragma once

#include <string>

#include "annal/event_store.hpp"
#include "process.hpp"
#include "support/temp_dir.hpp"

namespace annal::test {

/// A store URI of `backend` ("sqlite" or "segment"; the backend under test by default) in
/// `dir`; segment stores get 64 KiB segments so copies cross segment rolls.
std::string cli_store_uri(const temp_dir& dir, const std::string& name,
                          const std::string& backend = {});

/// The file backend that is not the one under test.
std::string other_backend();

/// A JSON event of `type` with `payload`, a fresh id and no metadata.
event_data json_event(std::string type, std::string payload);

/// Appends to the new stream "order-2" a binary payload (with a NUL and a line break) and an
/// empty one, in one batch.
void append_binary_events(event_store& store);

/// Appends `bulk` events {"i":N} in batches of ten over the 50 streams "bulk-0" to "bulk-49";
/// the first, fourth, seventh and tenth of each batch have `every_third_type`, the rest `type`.
void append_bulk(event_store& store, int bulk, const std::string& type,
                 const std::string& every_third_type);

/// Appends every kind of event the export format has a rule for (metadata, pretty JSON, binary,
/// empty, a stream id and type that are not UTF-8: 6 events in 3 streams), then `bulk` small
/// events in batches of ten over 50 streams.
void fill(const std::string& uri, int bulk = 2500);

/// The number of '\n' in `text`.
std::size_t line_count(const std::string& text);

/// Writes `text` to the file `name` in `dir` and returns its path.
std::string write_file(const temp_dir& dir, const std::string& name, const std::string& text);

/// Waits until the file at `path` holds at least `n` lines, looking every 50 ms for up to 20 s;
/// returns how many it holds then.
std::size_t wait_for_lines(const std::string& path, std::size_t n);

/// `annal export URI`, required to succeed.
tool_result export_of(const std::string& uri);

/// Checks that `r` failed with exit code 1 and one error line containing `text`.
void check_one_line_error(const tool_result& r, const std::string& text);

/// Checks that `r` is a usage error: exit code 2, nothing on standard output, an error line
/// containing `text`, then the usage line.
void check_usage_error(const tool_result& r, const std::string& text);

}  // namespace annal::test
