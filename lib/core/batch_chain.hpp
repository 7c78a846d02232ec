// The hash chain over a store's batches: each batch's link commits to the link before it and to
// the digests of the batch's events, so that changing, removing or reordering anything stored
// breaks every link after it.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "annal/event.hpp"
#include "core/digest_writer.hpp"
#include "core/sha256.hpp"

namespace annal::detail {

/// The link before a store's first batch: 32 zero bytes.
inline constexpr sha256_digest chain_start{};

/// Builds one batch's link: SHA-256 of "annal.chain.v1", the previous link, the batch's event
/// count and each event's fields in the event digest's layout (position, stream version, stream
/// id, id, timestamp, content digest), in position order; the byte layout is in
/// docs/integrity.md, "The hash chain". Hashing the fields rather than each event's digest commits
/// to the same things with a third fewer SHA-256 blocks. Not thread-safe; one per batch.
class chain_link_builder {
 public:
  chain_link_builder(const sha256_digest& previous, std::uint32_t event_count) noexcept;
  chain_link_builder(const chain_link_builder&) = delete;
  chain_link_builder& operator=(const chain_link_builder&) = delete;
  /// Adds the next event (`timestamp_us`: microseconds since the epoch; `content`: its content
  /// digest).
  void add(std::uint64_t position, std::uint64_t stream_version, std::string_view stream_id,
           const uuid& id, std::int64_t timestamp_us, const sha256_digest& content) noexcept;
  /// The link. The builder must not be used afterwards.
  sha256_digest finish() noexcept;

 private:
  sha256_hasher hasher_;
  digest_writer writer_{hasher_};
};

/// The content digests of a batch about to be appended, which appending threads compute before
/// they take a store's writer lock: `metadata[i]` is encode_metadata() of `events[i]`'s metadata
/// (an empty `metadata` means no event has any). Never throws but std::bad_alloc.
std::vector<sha256_digest> content_digests(std::span<const event_data> events,
                                           std::span<const std::string> metadata);

/// The link after `previous` of a batch appended to `stream_id` at `first_position` and
/// `first_version`, stamped `timestamp_us`, whose content digests are `contents`
/// (content_digests()). What every backend stores with each batch it appends. Pure.
sha256_digest append_link(const sha256_digest& previous, std::string_view stream_id,
                          std::uint64_t first_position, std::uint64_t first_version,
                          std::int64_t timestamp_us, std::span<const event_data> events,
                          std::span<const sha256_digest> contents) noexcept;

/// The link after `previous` of a batch of events as stored (an erased event counts with the
/// content digest it had, see stored_content_digest()). For append_recorded(), migrations and
/// checks. Pure.
sha256_digest stored_link(const sha256_digest& previous, std::span<const recorded_event> events);

/// Links the events a store held before it stored links, once, for a migration: fed the events in
/// position order, it makes each run of consecutive events of one stream with one timestamp
/// (what one append wrote) a batch of at most `max_batch` events, and calls `emit` with each
/// batch's last position and link. Not thread-safe.
class stored_batch_linker {
 public:
  using emit_function = std::function<void(std::uint64_t last_position, const sha256_digest& link)>;
  explicit stored_batch_linker(emit_function emit, std::size_t max_batch = 10000);
  /// The next stored event. Throws what stored_link() throws.
  void add(recorded_event event);
  /// Links the last batch; returns the chain's last link (chain_start when there was no event).
  sha256_digest finish();

 private:
  void close_batch();

  emit_function emit_;
  std::size_t max_batch_;
  std::vector<recorded_event> batch_;
  sha256_digest link_ = chain_start;
};

/// A link as a backend stored it, 32 bytes. Throws annal::corruption naming `where` and the
/// batch's last position for a stored value of another size.
sha256_digest link_from_bytes(std::string_view bytes, const std::string& where,
                              std::uint64_t last_position);

}  // namespace annal::detail
