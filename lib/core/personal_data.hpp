// Sealing and unsealing of the personal fields of JSON payloads, the one rule of every backend.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/function_ref.hpp"
#include "core/key_store.hpp"

namespace annal::detail {

/// Whether `payload` holds `{"$personal": ...}` objects, by a quick look at its text: false means
/// it surely holds none. Never throws.
bool may_hold_personal(std::string_view payload) noexcept;
/// Whether `payload` may hold sealed objects `{"$sealed": ...}`, like may_hold_personal().
bool may_hold_sealed(std::string_view payload) noexcept;

/// Whether `payload` (JSON text) has a member named "$personal" anywhere, strings skipped: after
/// seal_personal(), one that is left is not alone in its object and cannot be sealed. Never
/// throws.
bool has_personal_member(std::string_view payload) noexcept;

/// `payload` (JSON text) with each object `{"$personal": v}` (that member alone) replaced by
/// `{"$sealed": base64(1, nonce, ciphertext)}`: the object's exact text encrypted with
/// XChaCha20-Poly1305 (IETF) under `key`, with associated data binding it to `subject` and the
/// format byte 1 (docs/storage-format.md, "Sealed personal data"). The first nonce of a payload
/// is random and each further value takes the next one. With `name_subject`, each sealed object
/// also holds `"$subject": subject` (snapshots; an event's subject is in its metadata). Works on
/// the text: the rest of the payload is kept byte for byte. Returns nullopt when the payload
/// holds no personal object. Thread-safe.
std::optional<std::string> seal_personal(std::string_view payload, std::string_view subject,
                                         const subject_key& key, bool name_subject);

/// The key to open a sealed object of `subject`: null when the subject was forgotten. May throw.
using key_of_subject = function_ref<const subject_key*(std::string_view subject)>;

/// `payload` with each sealed object replaced by the exact text it sealed, or by
/// `{"$erased":true}` when `key_of` gives no key for its subject (the sealed object's "$subject"
/// member, else `subject`). Returns nullopt when the payload holds no sealed object. Throws
/// annal::corruption naming `where` and `position` when a sealed object is malformed or fails
/// authentication with its subject's key, and what `key_of` throws. Thread-safe.
std::optional<std::string> unseal_personal(std::string_view payload, std::string_view subject,
                                           key_of_subject key_of, const std::string& where,
                                           std::uint64_t position);

}  // namespace annal::detail
