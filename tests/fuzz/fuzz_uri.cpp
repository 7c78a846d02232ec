// libFuzzer target: arbitrary text as a store URI and as a stream id.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "annal/error.hpp"
#include "annal/event_store.hpp"
#include "annal/uuid.hpp"
#include "core/store_uri.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto parsed = annal::detail::parse_store_uri(text, {});
    // What parsing accepted has a scheme and a path. A file path holds no option text; a
    // PostgreSQL URI keeps libpq's query parameters but stays a postgres:// URI.
    if (parsed.path.empty()) __builtin_trap();
    if (parsed.scheme == "postgres") {
      if (!annal::detail::is_postgres_uri(parsed.path)) __builtin_trap();
    } else if (parsed.path.find('?') != std::string::npos) {
      __builtin_trap();
    }
  } catch (const annal::invalid_argument&) {
  }
  try {
    annal::validate_stream_id(text);
    // A metadata stream's id is its prefix and a stream id of up to the limit.
    std::size_t limit = annal::max_stream_id_size;
    if (text.starts_with(annal::metadata_stream_prefix)) {
      limit += annal::metadata_stream_prefix.size();
    }
    if (text.empty() || text.size() > limit || text == annal::metadata_stream_prefix) {
      __builtin_trap();
    }
  } catch (const annal::invalid_argument&) {
  }
  try {
    auto id = annal::uuid::parse(text);
    if (annal::uuid::parse(id.to_string()) != id) __builtin_trap();
  } catch (const annal::invalid_argument&) {
  }
  return 0;
}
