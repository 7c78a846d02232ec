// The event digest: a fixed byte layout, sensitive to every recorded field, kept by erasure.
#include "core/event_digest.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/stream_lifecycle.hpp"

using namespace annal;

namespace {

recorded_event sample() {
  recorded_event e;
  e.position = 42;
  e.stream_id = "order-7";
  e.stream_version = 3;
  e.type = "order.paid";
  e.id = uuid::parse("01936f4e-7c2a-7b3d-8e4f-5a6b7c8d9e0f");
  e.timestamp = std::chrono::system_clock::time_point(std::chrono::microseconds(1765000000123456));
  e.metadata.correlation_id = "c-1";
  e.metadata.properties = {{"tenant", "t1"}};
  e.payload = R"({"amount":1250})";
  e.type_version = 2;
  return e;
}

}  // namespace

TEST_CASE("an event digest has a fixed layout", "[digest]") {
  // A change to this value is a change of the stored format: erased events keep their digest, and
  // chains and proofs are built on digests. It must come with a new layout version, never
  // silently. The value was computed independently from the layout in docs/lifecycle.md (Python's
  // hashlib and struct), not taken from this code.
  CHECK(detail::to_hex(detail::event_digest(sample())) ==
        "cee14a57a600fd97e27c0d1ba630054bc29d6f51d5de063d01e5ea3bc86d26d5");
}

TEST_CASE("every recorded field changes the digest", "[digest]") {
  const auto base = detail::event_digest(sample());
  std::vector<std::function<void(recorded_event&)>> changes = {
      [](auto& e) { ++e.position; },
      [](auto& e) { ++e.stream_version; },
      [](auto& e) { e.stream_id += "x"; },
      [](auto& e) { e.type += "x"; },
      [](auto& e) { ++e.type_version; },
      [](auto& e) { e.id = uuid::v7(); },
      [](auto& e) { e.timestamp += std::chrono::microseconds(1); },
      [](auto& e) { e.encoding = payload_encoding::binary; },
      [](auto& e) { e.metadata.causation_id = "x"; },
      [](auto& e) { e.metadata.properties["tenant"] = "t2"; },
      [](auto& e) { e.payload = R"({"amount":1251})"; },
      // Length prefixes: moving a byte from one field to the next is a different event.
      [](auto& e) {
        e.stream_id = "order-";
        e.type = "7order.paid";
      },
  };
  for (std::size_t i = 0; i < changes.size(); ++i) {
    CAPTURE(i);
    auto changed = sample();
    changes[i](changed);
    CHECK(detail::event_digest(changed) != base);
  }
}

TEST_CASE("an erased event's payload keeps the digest of what it was", "[digest]") {
  auto e = sample();
  auto erased = nlohmann::json::parse(detail::erased_payload(e));
  CHECK(erased["type"] == "order.paid");
  CHECK(erased["version"] == 2);
  CHECK(erased["digest"] == detail::to_hex(detail::event_digest(e)));
}
