// annal-proof-check: checks an inclusion proof from `annal proof`, or a consistency proof from
// `annal consistency`, against a verifier key, with no store and nothing but the two files.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "consistency_proof.hpp"
#include "inclusion_proof.hpp"

namespace {

bool read_file(const char* path, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream out;
  out << in.rdbuf();
  text = out.str();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(
        stderr,
        "usage: annal-proof-check PROOF_FILE VERIFIER_KEY_FILE\n"
        "Checks that the proof's event was in the log as of its signed checkpoint, or\n"
        "that the log of a newer signed checkpoint begins with the log of an older one.\n");
    return 2;
  }
  std::string proof_text;
  std::string key_text;
  if (!read_file(argv[1], proof_text) || !read_file(argv[2], key_text)) {
    std::fprintf(stderr, "annal-proof-check: error: cannot read %s\n",
                 proof_text.empty() ? argv[1] : argv[2]);
    return 1;
  }
  try {
    auto key = annal::detail::parse_verifier_key(key_text);
    if (annal::cli::looks_like_consistency_proof(proof_text)) {
      auto [older, newer] =
          annal::cli::check_consistency_proof(annal::cli::parse_consistency_proof(proof_text), key);
      std::printf(
          "ok: %s as of its %llu events begins with the same %llu events as of the older "
          "checkpoint, both signed by '%s'\n",
          newer.origin.c_str(), static_cast<unsigned long long>(newer.size),
          static_cast<unsigned long long>(older.size), key.name.c_str());
      return 0;
    }
    auto proof = annal::cli::parse_inclusion_proof(proof_text);
    auto c = annal::cli::check_inclusion_proof(proof, key);
    bool erased = proof.event.type == "$erased";
    std::printf(
        "ok: the %sevent at position %llu (stream %s, version %llu, id %s) is in %s as of its "
        "%llu events, signed by '%s'\n",
        erased ? "erased " : "", static_cast<unsigned long long>(proof.event.position),
        proof.event.stream_id.c_str(), static_cast<unsigned long long>(proof.event.stream_version),
        proof.event.id.to_string().c_str(), c.origin.c_str(),
        static_cast<unsigned long long>(c.size), key.name.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::string_view what = e.what();
    if (what.starts_with("annal: ")) what.remove_prefix(7);
    std::fprintf(stderr, "annal-proof-check: not proven: %.*s\n", static_cast<int>(what.size()),
                 what.data());
    return 1;
  }
}
