// libFuzzer target: arbitrary bytes as the JSON payload of each stored type and version a codec
// reads, directly or through upcasters. A payload either fails with decode_failed (or
// upcast_failed, from an upcaster's own check) or decodes to values that survive an
// encode/decode round trip.
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
  static constexpr int version = 2;
  std::vector<std::optional<int>> slots;
  counters totals;
  std::optional<colour> tint;
  std::vector<std::string> tags;
  friend bool operator==(const item_moved&, const item_moved&) = default;
};

// Version 1: the same without slots.
struct item_moved_v1 {
  static constexpr std::string_view type = "item.moved";
  counters totals;
  std::optional<colour> tint;
  std::vector<std::string> tags;
};
inline item_moved to_v2(const item_moved_v1& old) { return {{}, old.totals, old.tint, old.tags}; }

// "item.batch" v1 held several moves: one stored event becomes one event per element of "moves".
inline std::vector<annal::json_event> split_batch(nlohmann::json payload) {
  std::vector<annal::json_event> moves;
  for (auto& move : payload.at("moves")) moves.push_back({"item.moved", 2, std::move(move)});
  return moves;
}

}  // namespace fuzz_types

template <>
struct annal::upcasters_of<fuzz_types::item_moved>
    : annal::upcasters<annal::upcast<&fuzz_types::to_v2>,
                       annal::rename<"item.shifted", "item.moved">,
                       annal::upcast_json<"item.batch", 1, &fuzz_types::split_batch>> {};

namespace {

using events = std::variant<sample_types::order_created, fuzz_types::item_moved>;
using codec = annal::event_codec<events>;

struct stored_shape {
  const char* type;
  std::uint32_t version;
};
// Read directly, through a typed upcaster, a rename (then the typed upcaster or directly), and
// a raw-JSON one-to-many step.
constexpr stored_shape shapes[] = {{"order.created", 1}, {"item.moved", 2},   {"item.moved", 1},
                                   {"item.shifted", 1},  {"item.shifted", 2}, {"item.batch", 1}};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const stored_shape& shape = shapes[data[0] % std::size(shapes)];
  annal::recorded_event stored;
  stored.type = shape.type;
  stored.type_version = shape.version;
  stored.payload.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  stored.stream_id = "fuzz";
  stored.position = 1;
  std::vector<events> decoded;
  try {
    decoded = codec::decode_all(stored);
  } catch (const annal::decode_failed&) {
    return 0;
  } catch (const annal::upcast_failed&) {
    return 0;
  }
  // A decoded value encodes (every string in it came from valid JSON, so it is UTF-8) and
  // decodes back to itself, directly.
  for (const auto& event : decoded) {
    annal::event_data encoded = codec::encode(event);
    annal::recorded_event again;
    again.type = encoded.type;
    again.type_version = encoded.type_version;
    again.payload = encoded.payload;
    if (codec::decode(again) != event) __builtin_trap();
  }
  return 0;
}
