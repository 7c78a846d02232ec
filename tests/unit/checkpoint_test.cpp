// Tests of signed checkpoints: a note verifies with its key and with no other, and a changed
// byte anywhere, a malformed line or a missing signature is refused.
#include "core/checkpoint.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "annal/error.hpp"
#include "core/merkle_tree.hpp"

using namespace annal::detail;

namespace {

std::array<std::uint8_t, 32> seed(std::uint8_t fill) {
  std::array<std::uint8_t, 32> s{};
  s.fill(fill);
  return s;
}

checkpoint sample_checkpoint() {
  std::vector<sha256_digest> leaves;
  for (std::uint8_t i = 0; i < 5; ++i) leaves.push_back(merkle_leaf_hash(std::span(&i, 1)));
  return {"annal.example/orders 0192f0c1-7c1e-7a4b-9b7e-2d9c3f4e5a6b", 5, merkle_root(leaves)};
}

void check_refused(const std::string& note, const checkpoint_signer& key, const std::string& why) {
  INFO(note);
  CHECK_THROWS_WITH(verify_checkpoint(note, key.name(), key.public_key()), Catch::Contains(why));
}

}  // namespace

TEST_CASE("a signed checkpoint verifies with its key and gives back what was signed",
          "[checkpoint]") {
  checkpoint_signer key("orders-log", seed(7));
  auto c = sample_checkpoint();
  std::string note = key.sign(c);
  CHECK(note.starts_with(c.origin + "\n5\n"));
  CHECK(note.find("\n\n\xe2\x80\x94 orders-log ") != std::string::npos);
  CHECK(verify_checkpoint(note, key.name(), key.public_key()) == c);
  // Deterministic: Ed25519 signs without randomness, and the key comes from the seed.
  checkpoint_signer same("orders-log", seed(7));
  CHECK(same.sign(c) == note);
  CHECK(same.public_key() == key.public_key());
  // Signatures by other keys are ignored.
  checkpoint_signer witness("witness", seed(9));
  std::string cosigned = note + witness.sign(c).substr(note.find("\n\n") + 2);
  CHECK(verify_checkpoint(cosigned, key.name(), key.public_key()) == c);
  CHECK(verify_checkpoint(cosigned, witness.name(), witness.public_key()) == c);
}

TEST_CASE("a changed byte anywhere in a signed checkpoint is refused", "[checkpoint]") {
  checkpoint_signer key("orders-log", seed(7));
  std::string note = key.sign(sample_checkpoint());
  std::size_t body_end = note.find("\n\n") + 1;
  for (std::size_t i = 0; i < note.size(); ++i) {
    std::string changed = note;
    changed[i] = static_cast<char>(changed[i] ^ 0x01);
    INFO("byte " << i << " of " << note.size() << (i < body_end ? " (body)" : " (signature)"));
    CHECK_THROWS_AS(verify_checkpoint(changed, key.name(), key.public_key()), annal::corruption);
  }
}

TEST_CASE("a checkpoint without a valid signature by the expected key is refused", "[checkpoint]") {
  checkpoint_signer key("orders-log", seed(7));
  checkpoint_signer impostor("orders-log", seed(8));
  auto c = sample_checkpoint();
  check_refused(impostor.sign(c), key, "no signature by the key 'orders-log'");
  std::string note = key.sign(c);
  CHECK_THROWS_WITH(verify_checkpoint(note, "other-name", key.public_key()),
                    Catch::Contains("no signature by the key 'other-name'"));
  // The body of another checkpoint under this signature.
  auto bigger = c;
  bigger.size = 6;
  std::string forged =
      key.sign(bigger).substr(0, key.sign(bigger).find("\n\n")) + note.substr(note.find("\n\n"));
  check_refused(forged, key, "does not verify");
}

TEST_CASE("malformed checkpoints are refused, naming what is wrong", "[checkpoint]") {
  checkpoint_signer key("orders-log", seed(7));
  std::string signature = key.sign(sample_checkpoint());
  signature = signature.substr(signature.find("\n\n"));
  check_refused("origin\n5\nAAAA\n", key, "no blank line");
  check_refused("origin\n5\n" + signature, key, "needs an origin, a size and a root hash");
  check_refused("origin\n05\nAAAA\n" + signature, key, "not a decimal number");
  check_refused("origin\n-5\nAAAA\n" + signature, key, "not a decimal number");
  check_refused("origin\n18446744073709551616\nAAAA\n" + signature, key, "not a decimal number");
  check_refused("origin\n5\nAAAA\n" + signature, key, "not the base64 of 32 bytes");
  check_refused("\n5\nAAAA\n" + signature, key, "origin line is empty");
  std::string note = key.sign(sample_checkpoint());
  check_refused(note.substr(0, note.size() - 1), key, "does not end with a newline");
  check_refused(note + "not a signature\n", key, "does not start with");
  CHECK_THROWS_AS(key.sign({"two\nlines", 1, {}}), annal::invalid_argument);
  CHECK_THROWS_AS(key.sign({"", 1, {}}), annal::invalid_argument);
  CHECK_THROWS_AS(checkpoint_signer("has space", seed(1)), annal::invalid_argument);
  CHECK_THROWS_AS(checkpoint_signer("", seed(1)), annal::invalid_argument);
  CHECK_THROWS_AS(checkpoint_signer("a+b", seed(1)), annal::invalid_argument);
}

TEST_CASE("keys are written and read as C2SP note key lines", "[checkpoint]") {
  std::string secret = signer_key_text("orders-log", seed(7));
  CHECK(secret.starts_with("PRIVATE+KEY+orders-log+"));
  auto signer = parse_signer_key(secret + "\n");
  checkpoint_signer direct("orders-log", seed(7));
  CHECK(signer->public_key() == direct.public_key());
  std::string verifier = verifier_key_text(*signer);
  CHECK(verifier.starts_with("orders-log+"));
  auto key = parse_verifier_key(" " + verifier + "\n");
  CHECK(key.name == "orders-log");
  CHECK(key.public_key == direct.public_key());
  // A note signed by the parsed signer verifies with the parsed verifier key.
  CHECK(verify_checkpoint(signer->sign(sample_checkpoint()), key.name, key.public_key) ==
        sample_checkpoint());

  // A wrong key id, a secret key given as a verifier key, a truncated key: refused.
  std::string wrong_id = verifier;
  wrong_id[wrong_id.find('+') + 1] = wrong_id[wrong_id.find('+') + 1] == '0' ? '1' : '0';
  CHECK_THROWS_WITH(parse_verifier_key(wrong_id), Catch::Contains("id does not match"));
  CHECK_THROWS_WITH(parse_verifier_key(secret), Catch::Contains("signer key (secret)"));
  CHECK_THROWS_WITH(parse_verifier_key(verifier.substr(0, verifier.size() - 4)),
                    Catch::Contains("not the base64 of an Ed25519 key"));
  CHECK_THROWS_WITH(parse_signer_key(verifier), Catch::Contains("PRIVATE+KEY+"));
  CHECK_THROWS_WITH(parse_verifier_key("no-plus-signs"), Catch::Contains("NAME+KEYID+KEY"));
  // The error never echoes the secret.
  try {
    parse_signer_key(secret.substr(0, secret.size() - 2));
    FAIL("a truncated signer key was accepted");
  } catch (const annal::invalid_argument& e) {
    CHECK(std::string(e.what()).find(secret.substr(secret.rfind('+') + 1, 10)) ==
          std::string::npos);
  }
}
