// The event and content digests: fixed byte layouts, sensitive to every recorded field, and what
// erasure keeps of them.
#include "core/event_digest.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "annal/error.hpp"
#include "core/batch_chain.hpp"
#include "core/log_tree.hpp"
#include "core/metadata_json.hpp"
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
  CHECK(detail::to_hex(detail::content_digest(sample())) ==
        "d83d21bc41a38ac1b66381d14b131b09d59eea26106f98ff2d9761bf4c0a8e31");
  CHECK(detail::to_hex(detail::event_digest(sample())) ==
        "84f293fd45455ce71378ed84659c7e8821623803a00dec5cf44d4a2be578c749");
}

TEST_CASE("an event with tags has the content layout v2, which covers them", "[digest][tags]") {
  // Computed independently from docs/lifecycle.md's layout, like the vectors above.
  auto tagged = sample();
  tagged.tags = {"course:1", "student:7"};
  CHECK(detail::to_hex(detail::content_digest(tagged)) ==
        "25aa40e0f6410ce46883cce3a5c1b20dcb8d050258735d7bd9e829b1cba8d614");
  // Each tag counts; moving a byte between tags is another set.
  for (auto tags : std::vector<std::vector<std::string>>{
           {"course:1"}, {"course:1", "student:8"}, {"course:1s", "tudent:7"}}) {
    tagged.tags = tags;
    CHECK(detail::to_hex(detail::content_digest(tagged)) !=
          "25aa40e0f6410ce46883cce3a5c1b20dcb8d050258735d7bd9e829b1cba8d614");
  }
  // The append path digests the set in stored (sorted) order, whatever order it was given in.
  event_data appended{sample().id,
                      "order.paid",
                      R"({"amount":1250})",
                      payload_encoding::json,
                      sample().metadata,
                      2,
                      {"student:7", "course:1"}};
  std::vector<std::string> metadata{detail::encode_metadata(appended.metadata)};
  CHECK(detail::to_hex(detail::content_digests(std::span(&appended, 1), metadata)[0]) ==
        "25aa40e0f6410ce46883cce3a5c1b20dcb8d050258735d7bd9e829b1cba8d614");
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

TEST_CASE("an erased event's payload keeps the content digest of what it was", "[digest]") {
  auto e = sample();
  auto erased = nlohmann::json::parse(detail::erased_payload(e));
  CHECK(erased["type"] == "order.paid");
  CHECK(erased["version"] == 2);
  CHECK(erased["content_digest"] == detail::to_hex(detail::content_digest(e)));
  // The erased form still has the original's event digest, from its kept place and the digest;
  // moved to another place, stream, id or time, it has another.
  recorded_event gone = e;
  gone.type = "$erased";
  gone.type_version = 1;
  gone.metadata = {};
  gone.payload = detail::erased_payload(e);
  CHECK(detail::stored_event_digest(gone) == detail::event_digest(e));
  std::vector<std::function<void(recorded_event&)>> moves = {
      [](auto& m) { ++m.position; },
      [](auto& m) { ++m.stream_version; },
      [](auto& m) { m.stream_id = "other"; },
      [](auto& m) { m.id = uuid::v7(); },
      [](auto& m) { m.timestamp += std::chrono::microseconds(1); },
  };
  for (std::size_t i = 0; i < moves.size(); ++i) {
    CAPTURE(i);
    auto moved = gone;
    moves[i](moved);
    CHECK(detail::stored_event_digest(moved) != detail::event_digest(e));
  }
  // Erased by an annal before erasure kept the digest: it counts as it is stored.
  gone.payload = R"({"type":"order.paid","version":2})";
  CHECK(detail::stored_event_digest(gone) == detail::event_digest(gone));
  CHECK(detail::stored_event_digest(gone) != detail::event_digest(e));
}

TEST_CASE("a chain link has a fixed layout, and append_link agrees with stored_link",
          "[digest][chain]") {
  // Computed independently (Python's hashlib and struct) from the layout in docs/integrity.md.
  detail::sha256_digest previous;
  previous.fill(0x11);
  const std::int64_t at = 1765000000123456;
  detail::chain_link_builder two(previous, 2);
  two.add(42, 3, "order-7", uuid::parse("01936f4e-7c2a-7b3d-8e4f-5a6b7c8d9e0f"), at,
          detail::sha256("a"));
  two.add(43, 4, "order-7", uuid::parse("01936f4e-7c2a-7b3d-8e4f-5a6b7c8d9e10"), at + 1,
          detail::sha256("b"));
  CHECK(detail::to_hex(two.finish()) ==
        "40b4b3e6cb04b71731accd64b72e3d250a5b4a274bbda94d3e63b7a870b95410");
  CHECK(detail::to_hex(detail::chain_link_builder(detail::chain_start, 0).finish()) ==
        "ac44352d300750bc017fc904181f9e8fdb4f6abd641f6b969d3c828fa7cf47af");

  // The append path's link, from event_data and content digests computed before the writer's
  // lock, equals the link of the same events as they read back.
  recorded_event first = sample();
  recorded_event second = sample();
  second.position = 43;
  second.stream_version = 4;
  second.id = uuid::v7();
  second.metadata = {};
  second.payload = "[]";
  second.encoding = payload_encoding::binary;
  std::vector<recorded_event> stored{first, second};
  std::vector<event_data> appended;
  std::vector<std::string> metadata;
  for (const auto& e : stored) {
    appended.push_back({e.id, e.type, e.payload, e.encoding, e.metadata, e.type_version});
    metadata.push_back(detail::encode_metadata(e.metadata));
  }
  auto contents = detail::content_digests(appended, metadata);
  auto timestamp_us =
      std::chrono::duration_cast<std::chrono::microseconds>(first.timestamp.time_since_epoch())
          .count();
  auto appended_link =
      detail::append_link(previous, "order-7", 42, 3, timestamp_us, appended, contents);
  CHECK(appended_link == detail::stored_link(previous, stored));
  // Each field counts: another previous link, another order.
  CHECK(appended_link != detail::stored_link(detail::chain_start, stored));
  std::swap(stored[0], stored[1]);
  CHECK(appended_link != detail::stored_link(previous, stored));
  std::swap(stored[0], stored[1]);
  // Every recorded field of every event counts, the second event's as much as the first's.
  std::vector<std::function<void(recorded_event&)>> changes = {
      [](auto& e) { ++e.position; },
      [](auto& e) { ++e.stream_version; },
      [](auto& e) { e.stream_id += "x"; },
      [](auto& e) { e.id = uuid::v7(); },
      [](auto& e) { e.timestamp += std::chrono::microseconds(1); },
      [](auto& e) { e.type += "x"; },
      [](auto& e) { e.payload += " "; },
      [](auto& e) { e.metadata.correlation_id = "other"; },
  };
  for (std::size_t i = 0; i < changes.size(); ++i) {
    CAPTURE(i);
    auto changed = stored;
    changes[i](changed[1]);
    CHECK(detail::stored_link(previous, changed) != appended_link);
  }
}
