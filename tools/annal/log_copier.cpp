// Batching, skipping and comparing for log_copier.
#include "log_copier.hpp"

#include <fmt/format.h>

#include "annal/error.hpp"
#include "annal/store_admin.hpp"
#include "commands.hpp"

namespace annal::cli {
namespace {

constexpr std::size_t max_batch_events = 1000;
constexpr std::size_t max_batch_bytes = 4u << 20;
constexpr std::size_t compare_page = 1000;

// What differs between two events at one position, for the error message.
std::string first_difference(const recorded_event& a, const recorded_event& b) {
  if (a.id != b.id)
    return fmt::format("event id {} instead of {}", a.id.to_string(), b.id.to_string());
  if (a.stream_id != b.stream_id) return "another stream";
  if (a.stream_version != b.stream_version) return "another stream version";
  if (a.type != b.type) return "another type";
  if (a.timestamp != b.timestamp) return "another timestamp";
  if (a.metadata != b.metadata) return "other metadata";
  if (a.encoding != b.encoding) return "another payload encoding";
  if (a.type_version != b.type_version) return "another type version";
  if (a.tags != b.tags) return "other tags";
  return "another payload";
}

}  // namespace

log_copier::log_copier(event_store& target)
    : target_(target), target_head_(target.head_position()) {}

void log_copier::add(recorded_event e, std::uint64_t line) {
  bool stored;
  try {
    stored = check_place(e);
  } catch (const error& problem) {
    if (line == 0) throw;
    throw error(problem.code(), fmt::format("line {}: {}", line, message_of(problem)));
  }
  if (stored) {
    ++skipped_;
    return;
  }
  if (!batch_.empty()) {
    const recorded_event& first = batch_.front();
    if (e.stream_id != first.stream_id || e.timestamp != first.timestamp ||
        batch_.size() == max_batch_events || batch_bytes_ + e.payload.size() > max_batch_bytes) {
      flush();
    }
  }
  if (batch_.empty()) batch_first_line_ = line;
  batch_last_line_ = line;
  batch_bytes_ += e.payload.size();
  batch_.push_back(std::move(e));
}

bool log_copier::check_place(const recorded_event& e) {
  if (last_position_ != 0 && e.position != last_position_ + 1) {
    throw invalid_argument(
        fmt::format("position {} does not follow position {}: the input "
                    "must be a gapless run of the log",
                    e.position, last_position_));
  }
  last_position_ = e.position;
  if (e.position > target_head_) return false;
  compare_with_stored(e);
  return true;
}

void log_copier::compare_with_stored(const recorded_event& e) {
  if (stored_.empty() || e.position < stored_.front().position ||
      e.position > stored_.back().position) {
    stored_ = target_.read_all(e.position, compare_page).events;
  }
  if (stored_.empty() || stored_.front().position > e.position) {
    throw invalid_argument(fmt::format("the target cannot read its position {}", e.position));
  }
  const recorded_event& held = stored_[e.position - stored_.front().position];
  if (!(held == e)) {
    throw invalid_argument(fmt::format(
        "the target already holds a different event at position {} ({}): it is not a copy of "
        "the same log",
        e.position, first_difference(held, e)));
  }
}

void log_copier::flush() {
  if (batch_.empty()) return;
  try {
    append_recorded(target_, batch_);
  } catch (const error& e) {
    throw error(e.code(), fmt::format("{}: {}", batch_place(), message_of(e)));
  }
  written_ += batch_.size();
  target_head_ = batch_.back().position;
  batch_.clear();
  batch_bytes_ = 0;
  stop_point_.batch_stored();
}

std::string log_copier::batch_place() const {
  bool from_lines = batch_first_line_ != 0;
  std::uint64_t first = from_lines ? batch_first_line_ : batch_.front().position;
  std::uint64_t last = from_lines ? batch_last_line_ : batch_.back().position;
  const char* what = from_lines ? "line" : "position";
  return first == last ? fmt::format("{} {}", what, first)
                       : fmt::format("{}s {} to {}", what, first, last);
}

void log_copier::finish() { flush(); }

}  // namespace annal::cli
