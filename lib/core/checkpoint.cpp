// Checkpoints as C2SP signed notes: body, key id, Ed25519 signature, base64 by libsodium.
#include "core/checkpoint.hpp"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <vector>

#include "annal/error.hpp"

namespace annal::detail {

namespace {

// The em dash that starts a signature line, in UTF-8.
constexpr std::string_view signature_mark = "\xe2\x80\x94 ";

// libsodium picks its fastest code for this CPU once; safe to call from any thread, any number
// of times.
void initialise_sodium() {
  if (sodium_init() < 0) throw io_error(0, "libsodium", "cannot initialise libsodium");
}

[[noreturn]] void malformed(const std::string& reason) {
  throw corruption("checkpoint", -1, reason);
}

std::string base64(const std::uint8_t* data, std::size_t size) {
  std::string out(sodium_base64_encoded_len(size, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

// The bytes of `text`, or false when it is not canonical base64 of exactly `size` bytes.
bool from_base64(std::string_view text, std::uint8_t* out, std::size_t size) {
  std::size_t decoded = 0;
  int rc = sodium_base642bin(out, size, text.data(), text.size(), nullptr, &decoded, nullptr,
                             sodium_base64_VARIANT_ORIGINAL);
  return rc == 0 && decoded == size && base64(out, size) == text;
}

// The first 4 bytes of SHA-256(name, '\n', 0x01 (Ed25519), public key).
std::array<std::uint8_t, 4> key_id(std::string_view name, const ed25519_public_key& key) {
  auto digest = sha256_hasher()
                    .add(std::span(reinterpret_cast<const std::uint8_t*>(name.data()), name.size()))
                    .add(std::uint8_t{'\n'})
                    .add(std::uint8_t{0x01})
                    .add(key)
                    .finish();
  return {digest[0], digest[1], digest[2], digest[3]};
}

std::string body_of(const checkpoint& c) {
  if (c.origin.empty() || c.origin.find('\n') != std::string::npos) {
    throw invalid_argument("a checkpoint's origin must be one non-empty line");
  }
  return c.origin + "\n" + std::to_string(c.size) + "\n" + base64(c.root.data(), c.root.size()) +
         "\n";
}

bool is_valid_key_name(std::string_view name) {
  return !name.empty() && name.find_first_of(" \n+") == std::string_view::npos;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto end = text.find('\n');
    if (end == std::string_view::npos) malformed("the last line does not end with a newline");
    lines.push_back(text.substr(0, end));
    text.remove_prefix(end + 1);
  }
  return lines;
}

}  // namespace

checkpoint_signer::checkpoint_signer(std::string name, const std::array<std::uint8_t, 32>& seed)
    : name_(std::move(name)) {
  if (!is_valid_key_name(name_)) {
    throw invalid_argument("a key name must be non-empty, without spaces, newlines or '+'");
  }
  initialise_sodium();
  crypto_sign_ed25519_seed_keypair(public_key_.data(), secret_key_.data(), seed.data());
}

checkpoint_signer::~checkpoint_signer() { sodium_memzero(secret_key_.data(), secret_key_.size()); }

std::string checkpoint_signer::sign(const checkpoint& c) const {
  std::string body = body_of(c);
  std::array<std::uint8_t, 4 + 64> blob{};
  auto id = key_id(name_, public_key_);
  std::copy(id.begin(), id.end(), blob.begin());
  crypto_sign_ed25519_detached(blob.data() + 4, nullptr,
                               reinterpret_cast<const unsigned char*>(body.data()), body.size(),
                               secret_key_.data());
  return body + "\n" + std::string(signature_mark) + name_ + " " +
         base64(blob.data(), blob.size()) + "\n";
}

checkpoint verify_checkpoint(std::string_view note, std::string_view key_name,
                             const ed25519_public_key& public_key) {
  initialise_sodium();
  auto separator = note.find("\n\n");
  if (separator == std::string_view::npos) malformed("no blank line before the signatures");
  std::string_view body = note.substr(0, separator + 1);
  auto body_lines = lines_of(body);
  if (body_lines.size() < 3) malformed("the body needs an origin, a size and a root hash");
  checkpoint c;
  c.origin = std::string(body_lines[0]);
  if (c.origin.empty()) malformed("the origin line is empty");
  std::string_view size = body_lines[1];
  auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), c.size);
  if (ec != std::errc() || end != size.data() + size.size() || size.empty() ||
      (size.size() > 1 && size.front() == '0')) {
    malformed("the size line is not a decimal number");
  }
  if (!from_base64(body_lines[2], c.root.data(), c.root.size())) {
    malformed("the root hash line is not the base64 of 32 bytes");
  }
  auto expected_id = key_id(key_name, public_key);
  bool found = false;
  for (auto line : lines_of(note.substr(separator + 2))) {
    if (!line.starts_with(signature_mark)) malformed("a signature line does not start with '—'");
    line.remove_prefix(signature_mark.size());
    auto space = line.find(' ');
    if (space == std::string_view::npos) malformed("a signature line has no key name");
    if (line.substr(0, space) != key_name) continue;
    std::array<std::uint8_t, 4 + 64> blob{};
    if (!from_base64(line.substr(space + 1), blob.data(), blob.size()) ||
        !std::equal(expected_id.begin(), expected_id.end(), blob.begin())) {
      continue;
    }
    found = true;
    if (crypto_sign_ed25519_verify_detached(blob.data() + 4,
                                            reinterpret_cast<const unsigned char*>(body.data()),
                                            body.size(), public_key.data()) != 0) {
      malformed("the signature by '" + std::string(key_name) + "' does not verify");
    }
  }
  if (!found) malformed("no signature by the key '" + std::string(key_name) + "'");
  return c;
}

namespace {

std::string hex_of(const std::array<std::uint8_t, 4>& id) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto b : id) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

// "NAME+KEYID+BASE64(0x01 || KEY)" split, its 32 key bytes decoded; `what` names the key kind.
std::string parse_key_line(std::string_view text, std::string_view what,
                           std::array<std::uint8_t, 32>& key, std::string& id) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  auto first = text.find('+');
  auto second = first == std::string_view::npos ? first : text.find('+', first + 1);
  // The key's base64 may itself hold '+': everything after the second '+' is the key.
  if (second == std::string_view::npos) {
    throw invalid_argument("not a " + std::string(what) + ": expected NAME+KEYID+KEY");
  }
  std::string name(text.substr(0, first));
  if (!is_valid_key_name(name)) {
    throw invalid_argument("the " + std::string(what) + " has an invalid name");
  }
  id = std::string(text.substr(first + 1, second - first - 1));
  std::array<std::uint8_t, 33> blob{};
  if (!from_base64(text.substr(second + 1), blob.data(), blob.size()) || blob[0] != 0x01) {
    throw invalid_argument("the " + std::string(what) +
                           " is not the base64 of an Ed25519 key (33 bytes, 0x01 first)");
  }
  std::copy(blob.begin() + 1, blob.end(), key.begin());
  sodium_memzero(blob.data(), blob.size());
  return name;
}

constexpr std::string_view private_prefix = "PRIVATE+KEY+";

}  // namespace

std::string signer_key_text(std::string_view name, const std::array<std::uint8_t, 32>& seed) {
  checkpoint_signer signer(std::string(name), seed);
  std::array<std::uint8_t, 33> blob{};
  blob[0] = 0x01;
  std::copy(seed.begin(), seed.end(), blob.begin() + 1);
  std::string text = std::string(private_prefix) + std::string(name) + "+" +
                     hex_of(key_id(name, signer.public_key())) + "+" +
                     base64(blob.data(), blob.size());
  sodium_memzero(blob.data(), blob.size());
  return text;
}

std::unique_ptr<checkpoint_signer> parse_signer_key(std::string_view text) {
  initialise_sodium();
  if (!text.starts_with(private_prefix)) {
    throw invalid_argument("not a signer key: it does not start with PRIVATE+KEY+");
  }
  std::array<std::uint8_t, 32> seed{};
  std::string id;
  std::string name = parse_key_line(text.substr(private_prefix.size()), "signer key", seed, id);
  auto signer = std::make_unique<checkpoint_signer>(name, seed);
  sodium_memzero(seed.data(), seed.size());
  if (id != hex_of(key_id(name, signer->public_key()))) {
    throw invalid_argument("the signer key's id does not match its name and key");
  }
  return signer;
}

std::string verifier_key_text(const checkpoint_signer& signer) {
  std::array<std::uint8_t, 33> blob{};
  blob[0] = 0x01;
  std::copy(signer.public_key().begin(), signer.public_key().end(), blob.begin() + 1);
  return signer.name() + "+" + hex_of(key_id(signer.name(), signer.public_key())) + "+" +
         base64(blob.data(), blob.size());
}

verifier_key parse_verifier_key(std::string_view text) {
  initialise_sodium();
  if (text.starts_with(private_prefix)) {
    throw invalid_argument("this is a signer key (secret); give the verifier key");
  }
  verifier_key key;
  std::string id;
  key.name = parse_key_line(text, "verifier key", key.public_key, id);
  if (id != hex_of(key_id(key.name, key.public_key))) {
    throw invalid_argument("the verifier key's id does not match its name and key");
  }
  return key;
}

}  // namespace annal::detail
