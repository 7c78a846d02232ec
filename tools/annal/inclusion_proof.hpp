// A proof that an event was in a log as of a signed checkpoint, as JSON text: what `annal proof`
// writes and `annal-proof-check` checks without the store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "annal/event.hpp"
#include "core/checkpoint.hpp"

namespace annal::cli {

/// An inclusion proof: the signed checkpoint, the event (as `annal export` writes it) and the
/// Merkle audit path from its leaf (at index position - 1) to the checkpoint's root.
struct inclusion_proof {
  std::string checkpoint_note;
  recorded_event event;
  std::vector<detail::sha256_digest> path;
};

/// The proof as one JSON object: {"checkpoint": NOTE, "event": EXPORT LINE (a string, so that
/// the payload's bytes stay exact), "path": [HEX, ...]}.
std::string to_json(const inclusion_proof& proof);
/// Parses what to_json() wrote. Throws annal::invalid_argument naming what is wrong.
inclusion_proof parse_inclusion_proof(std::string_view text);

/// Checks `proof` against `key`: the checkpoint's signature, then that the event's digest is the
/// leaf at index position - 1 of the tree the checkpoint signs. Returns the verified checkpoint.
/// Throws annal::corruption naming what does not hold.
detail::checkpoint check_inclusion_proof(const inclusion_proof& proof,
                                         const detail::verifier_key& key);

}  // namespace annal::cli
