// The event digest's byte layout: fixed-width little-endian integers, length-prefixed strings.
#include "core/event_digest.hpp"

#include <chrono>

#include "core/metadata_json.hpp"

namespace annal::detail {
namespace {

// The layouts' names and versions, first in every digest, so that a later layout never collides.
constexpr std::string_view event_domain = "annal.event.v1";
constexpr std::string_view content_domain = "annal.content.v1";

class digest_writer {
 public:
  explicit digest_writer(sha256_hasher& hasher) noexcept : hasher_(hasher) {}
  template <class T>
  void integer(T value) noexcept {
    std::array<std::uint8_t, sizeof(T)> bytes;
    auto u = static_cast<std::make_unsigned_t<T>>(value);
    for (std::size_t i = 0; i < sizeof(T); ++i) bytes[i] = static_cast<std::uint8_t>(u >> (8 * i));
    hasher_.add(bytes);
  }
  void text(std::string_view s) noexcept {
    integer(static_cast<std::uint32_t>(s.size()));
    hasher_.add({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
  }
  void bytes(std::span<const std::uint8_t> b) noexcept { hasher_.add(b); }

 private:
  sha256_hasher& hasher_;
};

}  // namespace

sha256_digest content_digest(const recorded_event& event) {
  sha256_hasher hasher;
  digest_writer w(hasher);
  w.text(content_domain);
  w.text(event.type);
  w.integer(event.type_version);
  w.integer(static_cast<std::uint8_t>(event.encoding));
  w.text(encode_metadata(event.metadata));
  w.bytes(sha256(event.payload));
  return hasher.finish();
}

sha256_digest event_digest(const recorded_event& event, const sha256_digest& content) {
  sha256_hasher hasher;
  digest_writer w(hasher);
  w.text(event_domain);
  w.integer(event.position);
  w.integer(event.stream_version);
  w.text(event.stream_id);
  w.bytes(event.id.bytes());
  w.integer(static_cast<std::int64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(event.timestamp.time_since_epoch())
          .count()));
  w.bytes(content);
  return hasher.finish();
}

sha256_digest event_digest(const recorded_event& event) {
  return event_digest(event, content_digest(event));
}

}  // namespace annal::detail
