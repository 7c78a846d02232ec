// Sealing and unsealing of personal fields: XChaCha20-Poly1305 per subject, base64 in the JSON.
#include "core/personal_data.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "annal/error.hpp"
#include "annal/json.hpp"

namespace annal::detail {
namespace {

using json = nlohmann::ordered_json;

// The first byte of a sealed blob: the format, also bound into the associated data.
constexpr std::uint8_t sealed_format = 1;
constexpr std::size_t nonce_size = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t tag_size = crypto_aead_xchacha20poly1305_ietf_ABYTES;

// "annal/personal", NUL, the format byte, the subject.
std::string associated_data(std::string_view subject) {
  std::string ad("annal/personal");
  ad += '\0';
  ad += static_cast<char>(sealed_format);
  ad += subject;
  return ad;
}

std::string to_base64(const std::vector<std::uint8_t>& bytes) {
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::optional<std::vector<std::uint8_t>> from_base64(std::string_view text) {
  std::vector<std::uint8_t> out(text.size() / 4 * 3 + 3);
  std::size_t decoded = 0;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &decoded,
                        nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return std::nullopt;
  }
  out.resize(decoded);
  return out;
}

bool is_marked(const json& j, const char* member) {
  return j.is_object() && j.size() >= 1 && j.contains(member);
}

std::optional<json> parse(std::string_view payload) {
  json j = json::parse(payload, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

// Calls `visit` on every object marked with `member`, depth first; returns how many.
template <class Visit>
std::size_t for_each_marked(json& j, const char* member, Visit& visit) {
  if (is_marked(j, member)) {
    visit(j);
    return 1;
  }
  std::size_t count = 0;
  if (j.is_object() || j.is_array()) {
    for (auto& child : j) count += for_each_marked(child, member, visit);
  }
  return count;
}

std::string sealed_text(const json& value, std::string_view subject, const subject_key& key) {
  std::string plain = value.dump();
  std::string ad = associated_data(subject);
  std::vector<std::uint8_t> blob(1 + nonce_size + plain.size() + tag_size);
  blob[0] = sealed_format;
  randombytes_buf(blob.data() + 1, nonce_size);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      blob.data() + 1 + nonce_size, &written, reinterpret_cast<const unsigned char*>(plain.data()),
      plain.size(), reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
      blob.data() + 1, key.bytes().data());
  sodium_memzero(plain.data(), plain.size());
  return to_base64(blob);
}

}  // namespace

bool may_hold_personal(std::string_view payload) noexcept {
  return payload.find("\"$personal\"") != std::string_view::npos;
}

bool may_hold_sealed(std::string_view payload) noexcept {
  return payload.find("\"$sealed\"") != std::string_view::npos;
}

std::optional<std::string> seal_personal(std::string_view payload, std::string_view subject,
                                         const subject_key& key, bool name_subject) {
  if (!may_hold_personal(payload)) return std::nullopt;
  auto j = parse(payload);
  if (!j) return std::nullopt;
  auto seal = [&](json& marked) {
    json sealed = json::object();
    sealed[sealed_member] = sealed_text(marked[personal_member], subject, key);
    if (name_subject) sealed[sealed_subject_member] = subject;
    marked = std::move(sealed);
  };
  if (for_each_marked(*j, personal_member, seal) == 0) return std::nullopt;
  return j->dump();
}

std::optional<std::string> unseal_personal(std::string_view payload, std::string_view subject,
                                           key_of_subject key_of, const std::string& where,
                                           std::uint64_t position) {
  if (!may_hold_sealed(payload)) return std::nullopt;
  auto j = parse(payload);
  if (!j) return std::nullopt;
  auto damaged = [&](std::string_view owner, const std::string& why) {
    return corruption(
        where, static_cast<std::int64_t>(position),
        fmt::format("personal data of subject '{}' at position {} {}", owner, position, why));
  };
  auto unseal = [&](json& marked) {
    std::string owner(subject);
    if (auto named = marked.find(sealed_subject_member); named != marked.end()) {
      if (!named->is_string()) throw damaged(owner, "names its subject with a non-string");
      owner = named->get<std::string>();
    }
    const json& text = marked[sealed_member];
    auto blob = text.is_string() ? from_base64(text.get_ref<const std::string&>()) : std::nullopt;
    if (!blob || blob->size() < 1 + nonce_size + tag_size || (*blob)[0] != sealed_format) {
      throw damaged(owner, "is not a sealed value annal wrote");
    }
    const subject_key* key = key_of(owner);
    if (key == nullptr) {
      marked = json{{erased_member, true}};
      return;
    }
    std::string ad = associated_data(owner);
    std::string plain(blob->size() - 1 - nonce_size - tag_size, '\0');
    unsigned long long length = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            reinterpret_cast<unsigned char*>(plain.data()), &length, nullptr,
            blob->data() + 1 + nonce_size, blob->size() - 1 - nonce_size,
            reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), blob->data() + 1,
            key->bytes().data()) != 0) {
      throw damaged(owner,
                    "fails authentication with the subject's key: the data was altered or the "
                    "key is not the one it was sealed with");
    }
    json value = json::parse(plain, nullptr, false);
    sodium_memzero(plain.data(), plain.size());
    if (value.is_discarded()) throw damaged(owner, "decrypts to text that is not JSON");
    marked = json::object();
    marked[personal_member] = std::move(value);
  };
  if (for_each_marked(*j, sealed_member, unseal) == 0) return std::nullopt;
  return j->dump();
}

}  // namespace annal::detail
