// The digests of a stored event: the Merkle tree's leaves, and the fields the hash chain hashes.
#pragma once

#include <span>
#include <string>

#include "annal/event.hpp"
#include "core/sha256.hpp"

namespace annal::detail {

/// The SHA-256 digest of what an event says: its type, type version, encoding, metadata (in the
/// stored JSON encoding), tags and the SHA-256 of its payload, in the byte layout docs/lifecycle.md
/// ("Event digests") gives. A scavenge keeps an erased event's content digest in its erased
/// payload. Pure; never throws but std::bad_alloc.
sha256_digest content_digest(const recorded_event& event);

/// The SHA-256 digest of everything the store recorded for `event`: its place (position, stream
/// version, stream id), id and timestamp (microseconds), which erasure keeps, and `content`, its
/// content digest. Equal events have equal digests on every backend. Pure.
sha256_digest event_digest(const recorded_event& event, const sha256_digest& content);

/// event_digest(event, content_digest(event)).
sha256_digest event_digest(const recorded_event& event);

/// content_digest() of an event given as its parts: `metadata` is encode_metadata() of its
/// metadata. For the append path, which has no recorded_event and has encoded the metadata. An
/// event without tags has the layout "annal.content.v1", one with tags "annal.content.v2", which
/// adds them in sorted order (as stored), whatever order `tags` has. Never throws but
/// std::bad_alloc.
sha256_digest content_digest(std::string_view type, std::uint32_t type_version,
                             payload_encoding encoding, std::string_view metadata,
                             std::string_view payload, std::span<const std::string> tags = {});

/// event_digest() of an event given as its parts (`timestamp_us`: microseconds since the epoch).
sha256_digest event_digest(std::uint64_t position, std::uint64_t stream_version,
                           std::string_view stream_id, const uuid& id, std::int64_t timestamp_us,
                           const sha256_digest& content) noexcept;

class digest_writer;

/// Writes the fields of an event digest after its layout name: the position, stream version,
/// stream id, event id, timestamp and content digest. The hash chain's links hash each event's
/// fields so, in the same layout.
void write_event_fields(digest_writer& w, std::uint64_t position, std::uint64_t stream_version,
                        std::string_view stream_id, const uuid& id, std::int64_t timestamp_us,
                        const sha256_digest& content) noexcept;

/// The timestamp of `event` in microseconds since the epoch, as digests hold it.
std::int64_t timestamp_us(const recorded_event& event) noexcept;

}  // namespace annal::detail
