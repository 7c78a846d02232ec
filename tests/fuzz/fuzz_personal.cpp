// libFuzzer target: arbitrary text as a payload to seal and to open (core/personal_data.hpp).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "annal/error.hpp"
#include "core/personal_data.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const annal::detail::subject_key key = annal::detail::subject_key::random();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto key_of = [](std::string_view) { return &key; };
  auto no_key = [](std::string_view) -> const annal::detail::subject_key* { return nullptr; };
  // Opening anything either works or is annal::corruption; without a key, nothing fails on the
  // ciphertext, which is never looked at.
  try {
    annal::detail::unseal_personal(text, "s", key_of, "fuzz", 1);
  } catch (const annal::corruption&) {
  }
  try {
    annal::detail::unseal_personal(text, "s", no_key, "fuzz", 1);
  } catch (const annal::corruption&) {
  }
  // What sealing makes, opening gives back byte for byte, and no personal member is left unless
  // one was not alone in its object.
  if (annal::detail::may_hold_sealed(text)) return 0;
  auto sealed = annal::detail::seal_personal(text, "s", key, true);
  if (!sealed) return 0;
  auto opened = annal::detail::unseal_personal(*sealed, "other", key_of, "fuzz", 1);
  if (!opened || *opened != text) __builtin_trap();
  return 0;
}
