// The Merkle tree over a store's log: one leaf per event, its event digest.
#pragma once

#include <cstdint>
#include <vector>

#include "annal/event_store.hpp"
#include "core/sha256.hpp"

namespace annal::detail {

/// The event digest the log's tree uses for `event`: event_digest() of it, or for an erased
/// event the digest of its place, id and timestamp with the content digest of what it was, kept
/// in its payload. Throws annal::corruption when an erased event's payload holds no content
/// digest.
sha256_digest stored_event_digest(const recorded_event& event);

/// The leaf hashes (RFC 6962) of the log's first `size` events, in position order: 32 bytes an
/// event in memory. Throws annal::invalid_argument when the log holds fewer events or no longer
/// starts at position 1 (segment retention deleted its oldest events), and what reading the
/// store throws.
std::vector<sha256_digest> log_leaf_hashes(event_store& store, std::uint64_t size);

}  // namespace annal::detail
