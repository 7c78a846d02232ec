// Checks a program's event variants and upcasters against what a store holds, before a deploy.
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "annal/codec.hpp"
#include "annal/event_store.hpp"
#include "annal/stored_types.hpp"
#include "annal/upcaster.hpp"

namespace annal {

/// One (type, version) of a store and how the program reads it.
struct type_compatibility {
  stored_type stored;
  /// direct, upcast, or unknown when no variant of the program reads it.
  read_path path = read_path::unknown;
  /// Empty when every event decoded; else the error of the first event that did not (a sample
  /// of the type's events is decoded, see compatibility_options).
  std::string error;
  /// The position of that event, 0 when none failed.
  std::uint64_t failed_position = 0;

  /// Read directly or through upcasters, and every decoded sample decoded.
  bool readable() const noexcept { return path != read_path::unknown && error.empty(); }
};

struct compatibility_options {
  /// Type names starting with one of these are not the program's to read (events of other
  /// services in a shared store): reported with path unknown but not counted as problems.
  std::vector<std::string> ignored_type_prefixes;
  /// Decode every event of each readable type rather than its first and last: slower, and finds
  /// a payload that only some events have wrong.
  bool decode_every_event = false;
};

/// What check_compatibility found: every (type, version) of the store, ordered by type then
/// version.
struct compatibility_report {
  std::vector<type_compatibility> types;
  std::vector<std::string> ignored_type_prefixes;

  /// True for a type the program must read: not under an ignored prefix.
  bool is_checked(std::string_view type) const noexcept {
    for (const auto& prefix : ignored_type_prefixes) {
      if (type.starts_with(prefix)) return false;
    }
    return true;
  }
  /// The checked types the program cannot read.
  std::vector<type_compatibility> problems() const {
    std::vector<type_compatibility> out;
    for (const auto& t : types) {
      if (is_checked(t.stored.type) && !t.readable()) out.push_back(t);
    }
    return out;
  }
  /// No problems: the program reads every checked event of the store.
  bool ok() const { return problems().empty(); }
};

namespace detail {

// How the first of `Variants` that reads (type, version) reads it.
template <class... Variants>
read_path path_in(std::string_view type, std::uint32_t version) noexcept {
  read_path path = read_path::unknown;
  ((path == read_path::unknown ? (path = event_codec<Variants>::path_of(type, version)) : path),
   ...);
  return path;
}

// Decodes `event` with the first of `Variants` that reads its type and version; the error, or
// empty.
template <class... Variants>
std::string decode_error(const recorded_event& event) {
  std::string error;
  bool tried = false;
  auto attempt = [&]<class Variant>(std::type_identity<Variant>) {
    if (tried ||
        event_codec<Variant>::path_of(event.type, event.type_version) == read_path::unknown) {
      return;
    }
    tried = true;
    try {
      event_codec<Variant>::for_each_decoded(event, [](Variant&&) {});
    } catch (const std::exception& e) {
      error = e.what();
    }
  };
  (attempt(std::type_identity<Variants>{}), ...);
  return error;
}

}  // namespace detail

/// Reads the (type, version) pairs of `store` (see stored_types) and reports, for the program
/// whose event variants are `Variants` (with their upcasters, see upcaster.hpp), which ones it
/// cannot read: no alternative or upcaster reads them, or a sample of their events fails to
/// decode (the first and last of each, or every one with decode_every_event). Run it against
/// production data before a deploy. Throws what event_store::read_all throws; decoding errors
/// are reported, not thrown.
template <class... Variants>
compatibility_report check_compatibility(event_store& store,
                                         const compatibility_options& options = {}) {
  static_assert(sizeof...(Variants) > 0, "annal: check_compatibility needs an event variant");
  compatibility_report report;
  report.ignored_type_prefixes = options.ignored_type_prefixes;
  for (auto& stored : stored_types(store)) {
    type_compatibility t;
    t.path = detail::path_in<Variants...>(stored.type, stored.type_version);
    t.stored = std::move(stored);
    report.types.push_back(std::move(t));
  }
  auto check_event = [&](type_compatibility& t, const recorded_event& event) {
    if (!t.error.empty() || event.type != t.stored.type ||
        event.type_version != t.stored.type_version) {
      return;
    }
    t.error = detail::decode_error<Variants...>(event);
    if (!t.error.empty()) t.failed_position = event.position;
  };
  for (auto& t : report.types) {
    if (t.path == read_path::unknown) continue;
    if (options.decode_every_event) {
      std::uint64_t from = t.stored.first_position;
      while (from <= t.stored.last_position && t.error.empty()) {
        auto slice = store.read_all(from, 4096, read_filter{.event_types = {t.stored.type}});
        for (const auto& event : slice.events) {
          if (event.position > t.stored.last_position) break;
          check_event(t, event);
        }
        if (slice.end_of_log || slice.next_position <= from) break;
        from = slice.next_position;
      }
    } else {
      for (auto position : {t.stored.first_position, t.stored.last_position}) {
        auto slice = store.read_all(position, 1);
        if (!slice.events.empty()) check_event(t, slice.events.front());
      }
    }
  }
  return report;
}

/// The (type, version) pairs the program whose event variants are `Variants` reads, as lines
/// "TYPE VERSION" ("TYPE *" for a rename, which applies at every version): the alternatives,
/// then what their upcasters read. The input of `annal types STORE --expect FILE`.
template <class... Variants>
std::vector<std::string> readable_types() {
  std::vector<std::string> lines;
  auto add = [&](std::string line) {
    for (const auto& l : lines) {
      if (l == line) return;
    }
    lines.push_back(std::move(line));
  };
  (
      [&] {
        for (const auto& [type, version] : event_codec<Variants>::readable_keys()) {
          add(std::string(type) + " " + (version == 0 ? "*" : std::to_string(version)));
        }
      }(),
      ...);
  return lines;
}

}  // namespace annal
