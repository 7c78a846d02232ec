// The event digest's byte layout: fixed-width little-endian integers, length-prefixed strings.
#include "core/event_digest.hpp"

#include <chrono>
#include <cstring>

#include "core/metadata_json.hpp"

namespace annal::detail {
namespace {

// The layouts' names and versions, first in every digest, so that a later layout never collides.
constexpr std::string_view event_domain = "annal.event.v1";
constexpr std::string_view content_domain = "annal.content.v1";

// Gathers a digest's fields in a buffer and hands them to the hasher in few calls: each call has a
// fixed cost that, on a 200-byte event, weighed as much as the hashing itself.
class digest_writer {
 public:
  explicit digest_writer(sha256_hasher& hasher) noexcept : hasher_(hasher) {}
  digest_writer(const digest_writer&) = delete;
  digest_writer& operator=(const digest_writer&) = delete;
  template <class T>
  void integer(T value) noexcept {
    std::array<std::uint8_t, sizeof(T)> bytes;
    auto u = static_cast<std::make_unsigned_t<T>>(value);
    for (std::size_t i = 0; i < sizeof(T); ++i) bytes[i] = static_cast<std::uint8_t>(u >> (8 * i));
    this->bytes(bytes);
  }
  void text(std::string_view s) noexcept {
    integer(static_cast<std::uint32_t>(s.size()));
    bytes({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
  }
  void bytes(std::span<const std::uint8_t> b) noexcept {
    if (used_ + b.size() > buffer_.size()) {
      flush();
      if (b.size() > buffer_.size()) {
        hasher_.add(b);
        return;
      }
    }
    if (!b.empty()) std::memcpy(buffer_.data() + used_, b.data(), b.size());
    used_ += b.size();
  }
  /// The digest of everything written.
  sha256_digest finish() noexcept {
    flush();
    return hasher_.finish();
  }

 private:
  void flush() noexcept {
    if (used_ != 0) hasher_.add({buffer_.data(), used_});
    used_ = 0;
  }

  sha256_hasher& hasher_;
  std::array<std::uint8_t, 256> buffer_;
  std::size_t used_ = 0;
};

}  // namespace

sha256_digest content_digest(std::string_view type, std::uint32_t type_version,
                             payload_encoding encoding, std::string_view metadata,
                             std::string_view payload) noexcept {
  sha256_hasher hasher;
  digest_writer w(hasher);
  w.text(content_domain);
  w.text(type);
  w.integer(type_version);
  w.integer(static_cast<std::uint8_t>(encoding));
  w.text(metadata);
  w.bytes(sha256(payload));
  return w.finish();
}

sha256_digest content_digest(const recorded_event& event) {
  return content_digest(event.type, event.type_version, event.encoding,
                        encode_metadata(event.metadata), event.payload);
}

sha256_digest event_digest(std::uint64_t position, std::uint64_t stream_version,
                           std::string_view stream_id, const uuid& id, std::int64_t timestamp_us,
                           const sha256_digest& content) noexcept {
  sha256_hasher hasher;
  digest_writer w(hasher);
  w.text(event_domain);
  w.integer(position);
  w.integer(stream_version);
  w.text(stream_id);
  w.bytes(id.bytes());
  w.integer(timestamp_us);
  w.bytes(content);
  return w.finish();
}

sha256_digest event_digest(const recorded_event& event, const sha256_digest& content) {
  return event_digest(
      event.position, event.stream_version, event.stream_id, event.id,
      std::chrono::duration_cast<std::chrono::microseconds>(event.timestamp.time_since_epoch())
          .count(),
      content);
}

sha256_digest event_digest(const recorded_event& event) {
  return event_digest(event, content_digest(event));
}

}  // namespace annal::detail
