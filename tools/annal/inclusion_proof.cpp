// Inclusion proofs as JSON, and their check: signature, event digest, audit path.
#include "inclusion_proof.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "annal/error.hpp"
#include "core/log_tree.hpp"
#include "core/merkle_tree.hpp"
#include "event_line.hpp"

namespace annal::cli {
namespace {

detail::sha256_digest digest_of_hex(const std::string& hex) {
  detail::sha256_digest digest{};
  bool ok = detail::from_hex(hex, digest);
  if (!ok) throw invalid_argument("the proof's path holds a hash that is not 64 hex digits");
  return digest;
}

}  // namespace

std::string to_json(const inclusion_proof& proof) {
  // The event as its export line, in a string: the payload's bytes must survive exactly, and a
  // JSON object would be re-serialised.
  std::string line;
  append_event_line(line, proof.event);
  line.pop_back();
  nlohmann::json path = nlohmann::json::array();
  for (const auto& h : proof.path) path.push_back(detail::to_hex(h));
  nlohmann::json out{{"checkpoint", proof.checkpoint_note}, {"event", line}, {"path", path}};
  return out.dump(2) + "\n";
}

inclusion_proof parse_inclusion_proof(std::string_view text) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object() || !json.contains("checkpoint") || !json["checkpoint"].is_string() ||
      !json.contains("event") || !json["event"].is_string() || !json.contains("path") ||
      !json["path"].is_array()) {
    throw invalid_argument(
        "not an annal inclusion proof: expected a JSON object with checkpoint, event and path");
  }
  inclusion_proof proof;
  proof.checkpoint_note = json["checkpoint"].get<std::string>();
  proof.event = parse_event_line(json["event"].get<std::string>());
  for (const auto& h : json["path"]) {
    if (!h.is_string()) throw invalid_argument("the proof's path holds something not a hash");
    proof.path.push_back(digest_of_hex(h.get<std::string>()));
  }
  return proof;
}

detail::checkpoint check_inclusion_proof(const inclusion_proof& proof,
                                         const detail::verifier_key& key) {
  auto c = detail::verify_checkpoint(proof.checkpoint_note, key.name, key.public_key);
  const auto& e = proof.event;
  if (e.position == 0 || e.position > c.size) {
    throw corruption("proof", -1,
                     "the event's position " + std::to_string(e.position) +
                         " is not in the checkpoint's log of " + std::to_string(c.size) +
                         " events");
  }
  auto leaf = detail::merkle_leaf_hash(detail::stored_event_digest(e));
  if (!detail::verify_merkle_inclusion(leaf, e.position - 1, c.size, proof.path, c.root)) {
    throw corruption("proof", -1,
                     "the event at position " + std::to_string(e.position) +
                         " is not the one the checkpoint's log holds there (changed event, or "
                         "a wrong path)");
  }
  return c;
}

}  // namespace annal::cli
