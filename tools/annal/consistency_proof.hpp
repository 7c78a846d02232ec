// A proof that a log signed at one size still holds, unchanged, as the start of the log signed at
// a later size, as JSON text: what `annal consistency` writes and `annal-proof-check` checks.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/checkpoint.hpp"

namespace annal::cli {

/// A consistency proof: two signed checkpoints of one log and the Merkle hashes (RFC 6962,
/// section 2.1.2) that show the older tree is a prefix of the newer.
struct consistency_proof {
  std::string old_note;
  std::string new_note;
  std::vector<detail::sha256_digest> path;
};

/// The proof as one JSON object: {"old_checkpoint": NOTE, "new_checkpoint": NOTE,
/// "consistency": [HEX, ...]}.
std::string to_json(const consistency_proof& proof);
/// True when `text` is JSON with the members of a consistency proof (and so not an inclusion
/// proof). Never throws.
bool looks_like_consistency_proof(std::string_view text) noexcept;
/// Parses what to_json() wrote. Throws annal::invalid_argument naming what is wrong.
consistency_proof parse_consistency_proof(std::string_view text);

/// Checks `proof` against `key`: both signatures, one origin, sizes in order, and the hashes
/// leading from the older root to the newer. Returns the two verified checkpoints, older first.
/// Throws annal::corruption naming what does not hold.
std::pair<detail::checkpoint, detail::checkpoint> check_consistency_proof(
    const consistency_proof& proof, const detail::verifier_key& key);

}  // namespace annal::cli
