// The Merkle tree over a store's log: one leaf per event, its event digest.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "annal/event_store.hpp"
#include "core/merkle_tree.hpp"
#include "core/sha256.hpp"

namespace annal::detail {

/// The content digest the log's tree and hash chain use for `event`: content_digest() of it, or
/// for an erased event the content digest of what it was, kept in its payload. An erased event
/// whose payload holds no content digest (erased by an annal before digests were kept) counts as
/// it is stored: content_digest() of the erased event.
sha256_digest stored_content_digest(const recorded_event& event);

/// The event digest the log's tree uses for `event`: event_digest() of its place, id, timestamp
/// and stored_content_digest(), so an erased event keeps the digest it had.
sha256_digest stored_event_digest(const recorded_event& event);

/// The leaf hashes (RFC 6962) of the log's first `size` events, in position order: 32 bytes an
/// event in memory. Throws annal::invalid_argument when the log holds fewer events or no longer
/// starts at position 1 (segment retention deleted its oldest events), and what reading the
/// store throws.
std::vector<sha256_digest> log_leaf_hashes(event_store& store, std::uint64_t size);

/// Adds to `frontier` the leaf hashes of the log's events after its size, up to position
/// `size`. Throws annal::invalid_argument when the log does not hold them all (it is shorter, or
/// segment retention deleted its start), and what reading the store throws.
void extend_log_tree(event_store& store, merkle_frontier& frontier, std::uint64_t size);

/// The origin line of `store`'s checkpoints: "annal/" and its store id. Throws what
/// store_id() throws.
std::string log_origin(event_store& store);

}  // namespace annal::detail
