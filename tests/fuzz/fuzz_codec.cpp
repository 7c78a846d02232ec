// libFuzzer target: arbitrary bytes as the JSON payload of each event type of a codec. A payload
// either fails with decode_failed or decodes to a value that survives an encode/decode round trip.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "annal/codec.hpp"
#include "annal/error.hpp"
#include "unit/sample_types.hpp"

// At namespace scope: the codec reads field names of types with linkage.
namespace fuzz_types {

enum class colour { red, green };

struct counters {
  std::int8_t tiny;
  std::uint16_t small;
  std::int64_t large;
  double ratio;
  friend bool operator==(const counters&, const counters&) = default;
};

struct item_moved {
  static constexpr std::string_view type = "item.moved";
  std::vector<std::optional<int>> slots;
  counters totals;
  std::optional<colour> tint;
  std::vector<std::string> tags;
  friend bool operator==(const item_moved&, const item_moved&) = default;
};

}  // namespace fuzz_types

namespace {

using events = std::variant<sample_types::order_created, fuzz_types::item_moved>;
using codec = annal::event_codec<events>;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  annal::recorded_event stored;
  stored.type = std::string(codec::type_names()[data[0] % codec::type_names().size()]);
  stored.payload.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  stored.stream_id = "fuzz";
  stored.position = 1;
  std::optional<events> decoded;
  try {
    decoded = codec::decode(stored);
  } catch (const annal::decode_failed&) {
    return 0;
  }
  // A decoded value encodes (every string in it came from valid JSON, so it is UTF-8) and
  // decodes back to itself.
  annal::event_data encoded = codec::encode(*decoded);
  annal::recorded_event again;
  again.type = encoded.type;
  again.payload = encoded.payload;
  if (codec::decode(again) != *decoded) __builtin_trap();
  return 0;
}
