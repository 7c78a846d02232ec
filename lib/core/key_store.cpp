// Subject keys: random creation and zeroing.
#include "core/key_store.hpp"

#include <sodium.h>

#include "annal/error.hpp"

namespace annal::detail {

subject_key::~subject_key() { sodium_memzero(bytes_.data(), bytes_.size()); }

subject_key subject_key::random() {
  // Idempotent and thread-safe: libsodium seeds its generator once.
  if (sodium_init() < 0) throw io_error(0, "libsodium", "cannot initialise libsodium");
  subject_key key;
  randombytes_buf(key.bytes_.data(), key.bytes_.size());
  return key;
}

}  // namespace annal::detail
