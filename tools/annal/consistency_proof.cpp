// Consistency proofs as JSON, and their check: two signatures, one origin, the path between roots.
#include "consistency_proof.hpp"

#include <nlohmann/json.hpp>

#include "annal/error.hpp"
#include "core/merkle_tree.hpp"

namespace annal::cli {

std::string to_json(const consistency_proof& proof) {
  nlohmann::json path = nlohmann::json::array();
  for (const auto& h : proof.path) path.push_back(detail::to_hex(h));
  nlohmann::json out{{"old_checkpoint", proof.old_note},
                     {"new_checkpoint", proof.new_note},
                     {"consistency", path}};
  return out.dump(2) + "\n";
}

bool looks_like_consistency_proof(std::string_view text) noexcept {
  auto json = nlohmann::json::parse(text, nullptr, false);
  return json.is_object() && json.contains("old_checkpoint") && json.contains("consistency");
}

consistency_proof parse_consistency_proof(std::string_view text) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object() || !json.contains("old_checkpoint") ||
      !json["old_checkpoint"].is_string() || !json.contains("new_checkpoint") ||
      !json["new_checkpoint"].is_string() || !json.contains("consistency") ||
      !json["consistency"].is_array()) {
    throw invalid_argument(
        "not an annal consistency proof: expected a JSON object with old_checkpoint, "
        "new_checkpoint and consistency");
  }
  consistency_proof proof;
  proof.old_note = json["old_checkpoint"].get<std::string>();
  proof.new_note = json["new_checkpoint"].get<std::string>();
  for (const auto& h : json["consistency"]) {
    detail::sha256_digest digest{};
    if (!h.is_string() || !detail::from_hex(h.get<std::string>(), digest)) {
      throw invalid_argument("the proof holds a hash that is not 64 hex digits");
    }
    proof.path.push_back(digest);
  }
  return proof;
}

std::pair<detail::checkpoint, detail::checkpoint> check_consistency_proof(
    const consistency_proof& proof, const detail::verifier_key& key) {
  auto older = detail::verify_checkpoint(proof.old_note, key.name, key.public_key);
  auto newer = detail::verify_checkpoint(proof.new_note, key.name, key.public_key);
  if (older.origin != newer.origin) {
    throw corruption(
        "proof", -1,
        "the checkpoints are of two logs (" + older.origin + ", " + newer.origin + ")");
  }
  if (older.size > newer.size) {
    throw corruption("proof", -1,
                     "the old checkpoint's log (" + std::to_string(older.size) +
                         " events) is longer than the new one's (" + std::to_string(newer.size) +
                         ")");
  }
  if (!detail::verify_merkle_consistency(older.size, newer.size, older.root, newer.root,
                                         proof.path)) {
    throw corruption("proof", -1,
                     "the log of " + std::to_string(newer.size) +
                         " events does not begin with the " + "log of " +
                         std::to_string(older.size) +
                         " events: the log was rewritten between the two checkpoints, or the "
                         "proof is wrong");
  }
  return {older, newer};
}

}  // namespace annal::cli
