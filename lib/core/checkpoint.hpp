// Signed checkpoints of a log: its size and Merkle root, signed with Ed25519 as a signed note.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/sha256.hpp"

namespace annal::detail {

/// What a log commits to at one moment: the tree over its first `size` leaves has root `root`.
/// `origin` names the log (one line of printable text, e.g. the store id).
struct checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  sha256_digest root{};
  friend bool operator==(const checkpoint&, const checkpoint&) = default;
};

using ed25519_public_key = std::array<std::uint8_t, 32>;

/// An Ed25519 key that signs checkpoints, with the name verifiers know it by. Holds the secret
/// key: keep it out of logs.
class checkpoint_signer {
 public:
  /// The key derived from a 32-byte `seed` (deterministic: the same seed, the same key). Throws
  /// annal::invalid_argument for a name that is empty, has a space, a newline or a '+'.
  checkpoint_signer(std::string name, const std::array<std::uint8_t, 32>& seed);
  ~checkpoint_signer();
  checkpoint_signer(const checkpoint_signer&) = delete;
  checkpoint_signer& operator=(const checkpoint_signer&) = delete;

  const std::string& name() const noexcept { return name_; }
  const ed25519_public_key& public_key() const noexcept { return public_key_; }

  /// The signed note of `c`: its body ("ORIGIN\nSIZE\nBASE64(ROOT)\n"), a blank line, and one
  /// signature line "— NAME BASE64(KEY_ID || SIGNATURE)\n" (the C2SP signed-note format). Throws
  /// annal::invalid_argument for an origin that is empty or holds a newline.
  std::string sign(const checkpoint& c) const;

 private:
  std::string name_;
  ed25519_public_key public_key_{};
  std::array<std::uint8_t, 64> secret_key_{};
};

/// A key that verifies checkpoints: the signer's name and public key.
struct verifier_key {
  std::string name;
  ed25519_public_key public_key{};
};

/// The signer's key as one line of text, as C2SP notes write it:
/// "PRIVATE+KEY+NAME+KEYID+BASE64(0x01 || seed)" (KEYID: 8 hex digits). Secret: keep it out of
/// logs.
std::string signer_key_text(std::string_view name, const std::array<std::uint8_t, 32>& seed);
/// The signer of a key line signer_key_text() wrote (surrounding whitespace ignored). Throws
/// annal::invalid_argument naming what is wrong, never echoing the secret.
std::unique_ptr<checkpoint_signer> parse_signer_key(std::string_view text);
/// The verifier key of `signer` as one line of text: "NAME+KEYID+BASE64(0x01 || public key)".
std::string verifier_key_text(const checkpoint_signer& signer);
/// The key a verifier_key_text() line names (surrounding whitespace ignored). Throws
/// annal::invalid_argument naming what is wrong, including a key id that does not match.
verifier_key parse_verifier_key(std::string_view text);

/// The checkpoint of a signed `note` that carries a valid signature by the key `public_key`
/// named `key_name`; signature lines of other keys are ignored. Throws annal::corruption (path
/// "checkpoint", offset -1) naming what is wrong: a malformed note, no signature by that key, or
/// one that does not verify (a changed byte anywhere in the body).
checkpoint verify_checkpoint(std::string_view note, std::string_view key_name,
                             const ed25519_public_key& public_key);

}  // namespace annal::detail
