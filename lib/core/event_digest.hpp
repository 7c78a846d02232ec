// The digest of a stored event: what the hash chain and the Merkle tree of the log are built on.
#pragma once

#include "annal/event.hpp"
#include "core/sha256.hpp"

namespace annal::detail {

/// The SHA-256 digest of everything the store recorded for `event`: its position, stream
/// version, stream id, type, type version, id, timestamp (microseconds), encoding, metadata (in
/// the stored JSON encoding) and the SHA-256 of its payload, in the byte layout
/// docs/lifecycle.md ("Event digests") gives. Equal events have equal digests on every backend.
/// A scavenge keeps an erased event's digest in its erased payload, so that the log's chain can
/// still be checked after the payload is gone. Pure; never throws but std::bad_alloc.
sha256_digest event_digest(const recorded_event& event);

}  // namespace annal::detail
