// The optimistic-concurrency condition an append states about its stream.
#pragma once

#include <cstdint>
#include <string>

#include "annal/export.hpp"

namespace annal {

/// What an append expects of its stream's current version. Versions count a stream's events:
/// a stream with no events has version 0, its first event is version 1.
class ANNAL_EXPORT expected_version {
 public:
  enum class kind : std::uint8_t { any, no_stream, stream_exists, exact };

  /// No check: append whatever the stream's version.
  static constexpr expected_version any() noexcept { return {kind::any, 0}; }
  /// The stream must have no events (version 0).
  static constexpr expected_version no_stream() noexcept { return {kind::no_stream, 0}; }
  /// The stream must have at least one event.
  static constexpr expected_version stream_exists() noexcept { return {kind::stream_exists, 0}; }
  /// The stream's version must be exactly `version`; exact(0) is the same check as no_stream().
  static constexpr expected_version exact(std::uint64_t version) noexcept {
    return {kind::exact, version};
  }

  constexpr kind type() const noexcept { return kind_; }
  /// The version of an exact() expectation; 0 for the other kinds.
  constexpr std::uint64_t version() const noexcept { return version_; }

  /// Whether a stream whose current version is `current` satisfies this expectation.
  constexpr bool matches(std::uint64_t current) const noexcept {
    switch (kind_) {
      case kind::any:
        return true;
      case kind::no_stream:
        return current == 0;
      case kind::stream_exists:
        return current > 0;
      case kind::exact:
        return current == version_;
    }
    return false;
  }

  /// "any", "no_stream", "stream_exists" or "exact(N)".
  std::string to_string() const;

  friend constexpr bool operator==(expected_version, expected_version) = default;

 private:
  constexpr expected_version(kind k, std::uint64_t v) noexcept : kind_(k), version_(v) {}
  kind kind_;
  std::uint64_t version_;
};

}  // namespace annal
