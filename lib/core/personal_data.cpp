// Sealing and unsealing of personal fields: XChaCha20-Poly1305 per subject, base64 in the JSON.
// Both work on the JSON text, without a DOM: only the marked objects change, byte for byte.
#include "core/personal_data.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <array>
#include <nlohmann/json.hpp>
#include <vector>

#include "annal/error.hpp"

namespace annal::detail {
namespace {

// The first byte of a sealed blob: the format, also bound into the associated data.
constexpr std::uint8_t sealed_format = 1;
constexpr std::size_t nonce_size = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t tag_size = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr std::string_view personal_key = "\"$personal\"";
constexpr std::string_view sealed_key = "\"$sealed\"";
constexpr std::string_view subject_key_text = "\"$subject\"";
constexpr std::string_view erased_object = R"({"$erased":true})";
constexpr std::size_t npos = std::string_view::npos;

// "annal/personal", NUL, the format byte, the subject.
std::string associated_data(std::string_view subject) {
  std::string ad("annal/personal");
  ad += '\0';
  ad += static_cast<char>(sealed_format);
  ad += subject;
  return ad;
}

constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Standard base64 with padding, by table (the ciphertext is no secret: no need for the constant
// time of sodium_bin2base64, which costs several times more).
std::string to_base64(const std::vector<std::uint8_t>& bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v =
        (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += base64_alphabet[v >> 18];
    out += base64_alphabet[(v >> 12) & 63];
    out += base64_alphabet[(v >> 6) & 63];
    out += base64_alphabet[v & 63];
  }
  if (std::size_t left = bytes.size() - i; left > 0) {
    std::uint32_t v = std::uint32_t{bytes[i]} << 16;
    if (left == 2) v |= std::uint32_t{bytes[i + 1]} << 8;
    out += base64_alphabet[v >> 18];
    out += base64_alphabet[(v >> 12) & 63];
    out += left == 2 ? base64_alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// The bytes of standard base64 with padding, or nullopt; by table, like to_base64().
std::optional<std::vector<std::uint8_t>> from_base64(std::string_view text) {
  static const auto table = [] {
    std::array<std::int8_t, 256> t;
    t.fill(-1);
    for (std::size_t i = 0; i < base64_alphabet.size(); ++i) {
      t[static_cast<unsigned char>(base64_alphabet[i])] = static_cast<std::int8_t>(i);
    }
    return t;
  }();
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t bits = 0;
  for (std::size_t i = 0; i < text.size() - padding; ++i) {
    std::int8_t v = table[static_cast<unsigned char>(text[i])];
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    if (i % 4 == 3) {
      out.push_back(static_cast<std::uint8_t>(bits >> 16));
      out.push_back(static_cast<std::uint8_t>(bits >> 8));
      out.push_back(static_cast<std::uint8_t>(bits));
      bits = 0;
    }
  }
  if (padding == 1) {
    out.push_back(static_cast<std::uint8_t>(bits >> 10));
    out.push_back(static_cast<std::uint8_t>(bits >> 2));
  } else if (padding == 2) {
    out.push_back(static_cast<std::uint8_t>(bits >> 4));
  }
  return out;
}

// ---- A scanner of JSON text: positions only, no values ---------------------------------------

std::size_t skip_space(std::string_view t, std::size_t i) {
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
  return i;
}

// The position after the string that starts at `i` (a '"'), or npos.
std::size_t string_end(std::string_view t, std::size_t i) {
  for (std::size_t j = i + 1; j < t.size(); ++j) {
    if (t[j] == '\\') {
      ++j;
    } else if (t[j] == '"') {
      return j + 1;
    }
  }
  return npos;
}

// The position after the JSON value that starts at `i`, or npos when there is none.
std::size_t value_end(std::string_view t, std::size_t i) {
  if (i >= t.size()) return npos;
  if (t[i] == '"') return string_end(t, i);
  if (t[i] == '{' || t[i] == '[') {
    std::size_t depth = 0;
    for (std::size_t j = i; j < t.size(); ++j) {
      if (t[j] == '"') {
        j = string_end(t, j);
        if (j == npos) return npos;
        --j;
      } else if (t[j] == '{' || t[j] == '[') {
        ++depth;
      } else if ((t[j] == '}' || t[j] == ']') && --depth == 0) {
        return j + 1;
      }
    }
    return npos;
  }
  auto ends_scalar = [](char c) {
    return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
  };
  std::size_t j = i;
  while (j < t.size() && !ends_scalar(t[j])) ++j;
  return j == i ? npos : j;
}

// After `{` at `i`: the position after `"key":` and the space that follows, or npos.
std::size_t after_key(std::string_view t, std::size_t i, std::string_view key) {
  std::size_t k = skip_space(t, i + 1);
  if (t.compare(k, key.size(), key) != 0) return npos;
  k = skip_space(t, k + key.size());
  if (k >= t.size() || t[k] != ':') return npos;
  return skip_space(t, k + 1);
}

// Calls `visit(start, end)` for each object `{` ... `}` outside strings whose first member is
// `key`, in order, and copies the text between them to the result; `visit` returns the
// replacement of its object and the position to continue from (its end, normally). Returns
// nullopt when it found none.
template <class Visit>
std::optional<std::string> replace_objects(std::string_view t, std::string_view key,
                                           Visit&& visit) {
  std::string out;
  std::size_t copied = 0;
  bool found = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '"') {
      std::size_t end = string_end(t, i);
      if (end == npos) break;
      i = end - 1;
      continue;
    }
    if (t[i] != '{') continue;
    std::size_t value = after_key(t, i, key);
    if (value == npos) continue;
    auto [replacement, end] = visit(i, value);
    if (end == npos) continue;
    if (!found) out.reserve(t.size() + t.size() / 2);
    found = true;
    out.append(t.substr(copied, i - copied));
    out += replacement;
    copied = end;
    i = end - 1;
  }
  if (!found) return std::nullopt;
  out.append(t.substr(copied));
  return out;
}

// The JSON text of a string holding `text`.
std::string quoted(std::string_view text) {
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

bool may_hold_personal(std::string_view payload) noexcept {
  return payload.find(personal_key) != npos;
}

bool may_hold_sealed(std::string_view payload) noexcept { return payload.find(sealed_key) != npos; }

bool has_personal_member(std::string_view payload) noexcept {
  for (std::size_t i = payload.find('"'); i != npos && i < payload.size();) {
    std::size_t end = string_end(payload, i);
    if (end == npos) return false;
    if (payload.compare(i, end - i, personal_key) == 0) {
      std::size_t colon = skip_space(payload, end);
      if (colon < payload.size() && payload[colon] == ':') return true;
    }
    i = payload.find('"', end);
  }
  return false;
}

std::optional<std::string> seal_personal(std::string_view payload, std::string_view subject,
                                         const subject_key& key, bool name_subject) {
  if (!may_hold_personal(payload)) return std::nullopt;
  std::string ad = associated_data(subject);
  std::string subject_member =
      name_subject ? "," + std::string(subject_key_text) + ":" + quoted(subject) : std::string();
  // One random draw per payload; each value takes the next nonce after it.
  std::array<std::uint8_t, nonce_size> nonce;
  randombytes_buf(nonce.data(), nonce.size());
  auto seal = [&](std::size_t start, std::size_t value) -> std::pair<std::string, std::size_t> {
    std::size_t end = value_end(payload, value);
    if (end == npos) return {{}, npos};
    end = skip_space(payload, end);
    if (end >= payload.size() || payload[end] != '}') return {{}, npos};
    // The whole object is sealed, so that unsealing gives back its exact bytes.
    std::string_view plain = payload.substr(start, end + 1 - start);
    std::vector<std::uint8_t> blob(1 + nonce_size + plain.size() + tag_size);
    blob[0] = sealed_format;
    std::copy(nonce.begin(), nonce.end(), blob.begin() + 1);
    unsigned long long written = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        blob.data() + 1 + nonce_size, &written,
        reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
        reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr, nonce.data(),
        key.bytes().data());
    sodium_increment(nonce.data(), nonce.size());
    return {"{" + std::string(sealed_key) + ":\"" + to_base64(blob) + "\"" + subject_member + "}",
            end + 1};
  };
  return replace_objects(payload, personal_key, seal);
}

std::optional<std::string> unseal_personal(std::string_view payload, std::string_view subject,
                                           key_of_subject key_of, const std::string& where,
                                           std::uint64_t position) {
  if (!may_hold_sealed(payload)) return std::nullopt;
  auto damaged = [&](std::string_view owner, const std::string& why) {
    return corruption(
        where, static_cast<std::int64_t>(position),
        fmt::format("personal data of subject '{}' at position {} {}", owner, position, why));
  };
  auto unseal = [&](std::size_t, std::size_t value) -> std::pair<std::string, std::size_t> {
    std::size_t text_end =
        value < payload.size() && payload[value] == '"' ? string_end(payload, value) : npos;
    if (text_end == npos) throw damaged(subject, "is not a sealed value annal wrote");
    std::string_view text = payload.substr(value + 1, text_end - value - 2);
    std::string owner(subject);
    std::size_t end = skip_space(payload, text_end);
    if (end < payload.size() && payload[end] == ',') {
      std::size_t named = after_key(payload, end, subject_key_text);
      std::size_t named_end =
          named < payload.size() && payload[named] == '"' ? string_end(payload, named) : npos;
      if (named_end == npos) throw damaged(owner, "names its subject with a non-string");
      owner = nlohmann::json::parse(payload.substr(named, named_end - named)).get<std::string>();
      end = skip_space(payload, named_end);
    }
    if (end >= payload.size() || payload[end] != '}') {
      throw damaged(owner, "is not a sealed value annal wrote");
    }
    // A forgotten subject's value is erased whatever its bytes: nothing is left to open.
    const subject_key* key = key_of(owner);
    if (key == nullptr) return {std::string(erased_object), end + 1};
    auto blob = from_base64(text);
    if (!blob || blob->size() < 1 + nonce_size + tag_size || (*blob)[0] != sealed_format) {
      throw damaged(owner, "is not a sealed value annal wrote");
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
    return {std::move(plain), end + 1};
  };
  try {
    return replace_objects(payload, sealed_key, unseal);
  } catch (const nlohmann::json::exception&) {
    throw damaged(subject, "names its subject with a malformed string");
  }
}

}  // namespace annal::detail
