// annal info, streams, read, tail and verify: commands that only read a store.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <set>

#include "annal/detail/time_text.hpp"
#include "annal/store_admin.hpp"
#include "annal/stored_types.hpp"
#include "annal/verify.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace annal::cli {
namespace {

constexpr std::size_t page_size = 1000;

volatile std::sig_atomic_t stop_requested = 0;

extern "C" void request_stop(int) { stop_requested = 1; }

std::string human_size(std::uint64_t bytes) {
  constexpr const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  auto value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} bytes", bytes)
                   : fmt::format("{} bytes ({:.1f} {})", bytes, value, units[unit]);
}

std::string timestamp_of(event_store& store, std::uint64_t position) {
  auto events = store.read_all(position, 1).events;
  return events.empty() ? "-" : detail::format_rfc3339(events.front().timestamp);
}

bool type_matches(const std::vector<std::string>& types, const recorded_event& e) {
  return types.empty() || std::find(types.begin(), types.end(), e.type) != types.end();
}

std::size_t page_for(std::optional<std::uint64_t> remaining) {
  return remaining ? static_cast<std::size_t>(std::min<std::uint64_t>(*remaining, page_size))
                   : page_size;
}

}  // namespace

int run_info(const std::string& uri) {
  auto store = open_existing_store(uri);
  store_description d = describe(*store);
  std::uint64_t head = store->head_position();
  std::string out;
  auto line = [&](std::string_view name, const std::string& value) {
    fmt::format_to(std::back_inserter(out), "{:<16}{}\n", name, value);
  };
  line("backend", d.backend);
  line("format version", std::to_string(d.format_version));
  line("store id", store->store_id().to_string());
  line("head position", std::to_string(head));
  // Positions are gapless; the log starts at 1 unless retention deleted its oldest segments.
  bool empty = head < d.first_position;
  line("events", std::to_string(empty ? 0 : head - d.first_position + 1));
  if (d.first_position > 1) line("first position", std::to_string(d.first_position));
  line("streams", std::to_string(d.stream_count));
  line("size on disk", human_size(d.bytes_on_disk));
  line("segments",
       d.backend != "segment" ? "-"
       : d.archived_segment_count == 0
           ? std::to_string(d.segment_count)
           : fmt::format("{} ({} archived)", d.segment_count, d.archived_segment_count));
  line("oldest event", empty ? "-" : timestamp_of(*store, d.first_position));
  line("newest event", head == 0 ? "-" : timestamp_of(*store, head));
  stdout_buffer buffer;
  buffer.text() = std::move(out);
  return exit_ok;
}

int run_streams(const std::string& uri, const std::string& prefix,
                std::optional<std::uint64_t> limit) {
  auto store = open_existing_store(uri);
  stdout_buffer out;
  std::string after;
  std::optional<std::uint64_t> remaining = limit;
  while (!remaining || *remaining > 0) {
    auto page = list_streams(*store, prefix, after, page_for(remaining));
    for (const auto& s : page) {
      fmt::format_to(std::back_inserter(out.text()), "{}\t{}\n", s.stream_id, s.version);
    }
    out.maybe_flush();
    if (page.size() < page_for(remaining)) break;
    if (remaining) *remaining -= page.size();
    after = page.back().stream_id;
  }
  return exit_ok;
}

namespace {

// The pairs of an --expect file: "TYPE VERSION" or "TYPE *" (version 0) a line; blank lines and
// lines starting with '#' are skipped. Throws std::runtime_error naming a malformed line.
std::set<std::pair<std::string, std::uint32_t>> read_expected_types(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file);
  std::set<std::pair<std::string, std::uint32_t>> expected;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line.front() == '#') continue;
    auto space = line.rfind(' ');
    std::string version = space == std::string::npos ? "" : line.substr(space + 1);
    std::uint32_t value = 0;
    bool ok = space != std::string::npos && space > 0 && !version.empty();
    if (ok && version != "*") {
      ok = version.size() <= 5 && std::all_of(version.begin(), version.end(), ::isdigit);
      if (ok) value = static_cast<std::uint32_t>(std::stoul(version));
      ok = ok && value >= 1 && value <= max_type_version;
    }
    if (!ok) {
      throw std::runtime_error(
          fmt::format("{} line {}: expected 'TYPE VERSION' (1 to {}) or 'TYPE *'", file, number,
                      max_type_version));
    }
    expected.emplace(line.substr(0, space), value);
  }
  return expected;
}

}  // namespace

int run_types(const std::string& uri, const std::string& expect_file,
              const std::vector<std::string>& ignored_prefixes) {
  std::set<std::pair<std::string, std::uint32_t>> expected;
  if (!expect_file.empty()) expected = read_expected_types(expect_file);
  auto store = open_existing_store(uri);
  auto types = stored_types(*store);
  stdout_buffer out;
  std::vector<std::string> unread;
  for (const auto& t : types) {
    fmt::format_to(std::back_inserter(out.text()), "{}\t{}\t{}\t{}\t{}", t.type, t.type_version,
                   t.count, t.first_position, t.last_position);
    if (!expect_file.empty()) {
      bool ignored = std::any_of(ignored_prefixes.begin(), ignored_prefixes.end(),
                                 [&](const std::string& p) { return t.type.starts_with(p); });
      bool read = expected.contains({t.type, t.type_version}) || expected.contains({t.type, 0});
      out.text() += ignored ? "\tignored" : read ? "\tread" : "\tUNREAD";
      if (!ignored && !read) unread.push_back(fmt::format("{} v{}", t.type, t.type_version));
    }
    out.text() += '\n';
  }
  out.flush();
  if (unread.empty()) return exit_ok;
  std::fprintf(stderr, "annal: %zu stored type%s the program does not read: %s\n", unread.size(),
               unread.size() == 1 ? "" : "s", fmt::format("{}", fmt::join(unread, ", ")).c_str());
  return exit_failure;
}

int run_read(const read_request& request) {
  auto store = open_existing_store(request.store);
  stdout_buffer out;
  event_printer printer(out, request.format);
  std::optional<std::uint64_t> remaining = request.limit;
  // Prints what the page holds within the limit; false once the limit is reached.
  auto emit = [&](std::vector<recorded_event>& page) {
    if (remaining && page.size() > *remaining) page.resize(static_cast<std::size_t>(*remaining));
    printer.print(page);
    if (remaining) *remaining -= page.size();
    return !remaining || *remaining > 0;
  };
  if (request.stream) {
    std::uint64_t version = std::max<std::uint64_t>(request.from, 1);
    for (;;) {
      auto page = store->read_stream(*request.stream, version, read_direction::forward, page_size);
      bool full = page.size() == page_size;
      if (full) version = page.back().stream_version + 1;
      std::erase_if(page, [&](const recorded_event& e) { return !type_matches(request.types, e); });
      if (!emit(page) || !full) break;
    }
    return exit_ok;
  }
  read_filter filter;
  filter.event_types = request.types;
  std::uint64_t position = request.from;
  for (;;) {
    auto slice = store->read_all(position, page_for(remaining), filter);
    if (!emit(slice.events) || slice.end_of_log) break;
    position = slice.next_position;
  }
  return exit_ok;
}

int run_tail(const std::string& uri, const std::vector<std::string>& types, std::uint64_t from,
             event_format format) {
  auto store = open_existing_store(uri);
  struct sigaction action {};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  stdout_buffer out;
  event_printer printer(out, format);
  read_filter filter;
  filter.event_types = types;
  std::uint64_t position = from == 0 ? store->head_position() + 1 : from;
  while (stop_requested == 0) {
    auto slice = store->read_all(position, page_size, filter);
    printer.print(slice.events);
    position = slice.next_position;
    if (!slice.end_of_log) continue;
    out.flush();
    store->wait_for(position, std::chrono::milliseconds(200));
  }
  return exit_ok;
}

int run_verify(const std::string& uri) {
  check_store_path(uri);
  verify_report report = verify_store(uri);
  stdout_buffer out;
  for (const auto& p : report.problems) {
    std::string where = p.file;
    if (p.offset >= 0) where += fmt::format(" offset {}", p.offset);
    if (p.position != 0) where += fmt::format(" position {}", p.position);
    if (!p.stream_id.empty()) where += fmt::format(" stream '{}'", p.stream_id);
    fmt::format_to(std::back_inserter(out.text()), "{}: {}\n", where, p.message);
  }
  std::uint64_t count = report.problems.size() + report.unlisted_problems;
  std::string checked = fmt::format("{} events in {} streams, {} files", report.events_checked,
                                    report.streams_checked, report.files_checked);
  if (count == 0) {
    fmt::format_to(std::back_inserter(out.text()), "ok: {} store, checked {}\n", report.backend,
                   checked);
    return exit_ok;
  }
  fmt::format_to(std::back_inserter(out.text()), "{} problem{} found{}; checked {}\n", count,
                 count == 1 ? "" : "s",
                 report.unlisted_problems == 0
                     ? std::string()
                     : fmt::format(" ({} not listed)", report.unlisted_problems),
                 checked);
  return exit_failure;
}

}  // namespace annal::cli
