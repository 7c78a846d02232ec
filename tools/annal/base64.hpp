// Base64 (RFC 4648, standard alphabet, padded) for payloads that are not JSON text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace annal::cli {

/// Encodes bytes as padded base64.
std::string base64_encode(std::string_view bytes);

/// Decodes padded base64; nullopt for anything else (wrong length, a character outside the
/// alphabet, misplaced padding, non-zero bits after the last byte).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace annal::cli
