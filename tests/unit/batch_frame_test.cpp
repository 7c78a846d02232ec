// Tests of the batch frame codec: round trips, varint boundaries, the type table, bad bodies.
#include "segment/batch_frame.hpp"

#include <catch2/catch.hpp>

#include "segment/segment_format.hpp"

using namespace annal;
using namespace annal::segment;

namespace {

struct encoded {
  byte_buffer buffer;
  std::string_view body() const { return buffer.view().substr(frame_header_size); }
};

encoded encode(const std::vector<event_data>& events, const std::vector<std::string>& metadata) {
  encoded out;
  frame_trailer plain{.type = frame_type_batch};
  auto layout = layout_batch_frame("stream-1", events, metadata, plain);
  encode_batch_frame(out.buffer, layout, "stream-1", 41, 7, 1234567, events, metadata, plain);
  REQUIRE(out.buffer.size() == layout.size);
  return out;
}

std::vector<event_view> decode_all(std::string_view body) {
  std::string reason;
  auto batch = batch_view::parse(body, reason);
  INFO(reason);
  REQUIRE(batch);
  std::vector<event_view> out;
  batch->for_each([&](std::uint32_t, const event_view& e) { out.push_back(e); });
  return out;
}

}  // namespace

TEST_CASE("a batch round-trips through its frame, lengths across varint boundaries",
          "[batch_frame]") {
  std::vector<event_data> events;
  std::vector<std::string> metadata;
  for (std::size_t size : {0u, 1u, 127u, 128u, 16383u, 16384u, 70000u}) {
    event_data e;
    e.type = size % 2 == 0 ? "even.sized" : "odd.sized";
    e.encoding = payload_encoding::binary;
    e.payload.assign(size, static_cast<char>('a' + size % 26));
    events.push_back(e);
    metadata.push_back(size == 128 ? std::string(200, 'm') : "");
  }
  auto frame = encode(events, metadata);
  std::string reason;
  auto batch = batch_view::parse(frame.body(), reason);
  REQUIRE(batch);
  CHECK(batch->first_position() == 41);
  CHECK(batch->first_version() == 7);
  CHECK(batch->timestamp_us() == 1234567);
  CHECK(batch->stream_id() == "stream-1");
  auto decoded = decode_all(frame.body());
  REQUIRE(decoded.size() == events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(decoded[i].id == events[i].id);
    CHECK(decoded[i].type == events[i].type);
    CHECK(decoded[i].payload == events[i].payload);
    CHECK(decoded[i].metadata == metadata[i]);
    CHECK(decoded[i].encoding == payload_encoding::binary);
  }
}

TEST_CASE("a repeated type is stored once per batch", "[batch_frame]") {
  std::vector<event_data> same(10);
  for (auto& e : same) e.type = "order.item_added";
  std::vector<event_data> different(10);
  for (std::size_t i = 0; i < different.size(); ++i)
    different[i].type = "order.item_adde" + std::to_string(i);
  CHECK(encode(same, {}).buffer.size() + 9 * 16 <= encode(different, {}).buffer.size());
}

TEST_CASE("more distinct types than the table holds still round-trip", "[batch_frame]") {
  std::vector<event_data> events;
  for (int round = 0; round < 2; ++round) {
    for (int t = 0; t < 100; ++t) {
      event_data e;
      e.type = "type." + std::to_string(t);
      e.payload = std::to_string(round * 100 + t);
      events.push_back(e);
    }
  }
  auto frame = encode(events, {});  // the decoded views point into it
  auto decoded = decode_all(frame.body());
  REQUIRE(decoded.size() == events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    REQUIRE(decoded[i].type == events[i].type);
    REQUIRE(decoded[i].payload == events[i].payload);
  }
}

TEST_CASE("malformed bodies are rejected with a reason", "[batch_frame]") {
  std::vector<event_data> events(3);
  for (auto& e : events) {
    e.type = "t";
    e.payload = "{}";
  }
  auto frame = encode(events, {});
  std::string body(frame.body());
  std::string reason;
  SECTION("truncated") {
    CHECK_FALSE(batch_view::parse(body.substr(0, body.size() - 1), reason));
    CHECK_THAT(reason, Catch::Contains("truncated"));
  }
  SECTION("trailing bytes") {
    CHECK_FALSE(batch_view::parse(body + "x", reason));
    CHECK_THAT(reason, Catch::Contains("unexpected bytes"));
  }
  SECTION("a type reference past the table") {
    // The second event's type reference sits after the header, the first event (id, encoding,
    // reference 0, name length and "t", metadata length, payload length and "{}") and the second
    // event's id and encoding byte.
    std::size_t header = batch_fixed_size + std::string("stream-1").size();
    std::size_t first_event = 16 + 1 + 1 + 1 + 1 + 1 + 1 + 2;
    std::size_t ref = header + first_event + 16 + 1;
    REQUIRE(body[ref] == 1);
    body[ref] = 5;
    CHECK_FALSE(batch_view::parse(body, reason));
    CHECK_THAT(reason, Catch::Contains("type reference 5"));
  }
  SECTION("zero events") {
    body[24] = 0;
    CHECK_FALSE(batch_view::parse(body, reason));
  }
  SECTION("a timestamp system_clock cannot hold") {
    // Found by fuzzing: reading it overflowed the conversion to nanoseconds. Bytes 16-23 hold
    // the timestamp in microseconds, little endian; 0x3f in the top byte is about 2^62.
    body[23] = 0x3f;
    CHECK_FALSE(batch_view::parse(body, reason));
    CHECK_THAT(reason, Catch::Contains("timestamp") && Catch::Contains("out of range"));
  }
}

TEST_CASE("type versions round-trip, and version 1 costs no byte", "[batch_frame]") {
  std::vector<event_data> events(4);
  const std::uint32_t versions[] = {1, 2, 127, max_type_version};
  for (std::size_t i = 0; i < events.size(); ++i) {
    events[i].type = "t";
    events[i].payload = "{}";
    events[i].type_version = versions[i];
  }
  auto frame = encode(events, {});
  auto decoded = decode_all(frame.body());
  REQUIRE(decoded.size() == events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(decoded[i].type_version == versions[i]);
    CHECK(decoded[i].encoding == payload_encoding::json);
  }
  std::vector<event_data> unversioned(4);
  for (auto& e : unversioned) {
    e.type = "t";
    e.payload = "{}";
  }
  // Versions 2 and 127 take one varint byte each, 65535 three.
  CHECK(encode(events, {}).buffer.size() == encode(unversioned, {}).buffer.size() + 1 + 1 + 3);
}

TEST_CASE("a flagged type version below 2 or above the limit is malformed", "[batch_frame]") {
  std::vector<event_data> events(1);
  events[0].type = "t";
  events[0].payload = "{}";
  events[0].type_version = 2;
  auto frame = encode(events, {});
  std::string body(frame.body());
  // The event's encoding byte follows the header and the id; its version varint follows it.
  std::size_t at = batch_fixed_size + std::string("stream-1").size() + 16;
  REQUIRE(static_cast<std::uint8_t>(body[at]) == (1 | encoding_type_version_flag));
  REQUIRE(body[at + 1] == 2);
  std::string reason;
  for (char bad : {'\0', '\1'}) {
    body[at + 1] = bad;
    CHECK_FALSE(batch_view::parse(body, reason));
    CHECK_THAT(reason, Catch::Contains("type version " + std::to_string(bad)));
  }
  // 65536 needs a third varint byte: 0x80 0x80 0x04.
  std::string past = body.substr(0, at + 1) + std::string("\x80\x80\x04", 3) + body.substr(at + 2);
  CHECK_FALSE(batch_view::parse(past, reason));
  CHECK_THAT(reason, Catch::Contains("type version 65536"));
}

TEST_CASE("tags round-trip with a type version, and an event without tags costs no byte",
          "[batch_frame][dcb]") {
  std::vector<event_data> events(3);
  for (auto& e : events) {
    e.type = "t";
    e.payload = "{}";
  }
  events[0].tags = {"course:c1", "student:s" + std::string(200, 'x')};
  events[1].type_version = 3;
  events[1].tags = {"a"};
  auto frame = encode(events, {});
  auto decoded = decode_all(frame.body());
  REQUIRE(decoded.size() == 3);
  CHECK(tags_of(decoded[0]) == events[0].tags);
  CHECK(tags_of(decoded[1]) == events[1].tags);
  CHECK(decoded[1].type_version == 3);
  CHECK(tags_of(decoded[2]).empty());
  CHECK(decoded[2].payload == "{}");
  std::vector<event_data> untagged = events;
  for (auto& e : untagged) e.tags.clear();
  // Per tag a length varint and its bytes, per tagged event a count varint.
  CHECK(encode(events, {}).buffer.size() ==
        encode(untagged, {}).buffer.size() + (1 + 1 + 9) + (2 + 209) + (1 + 1 + 1));
}

TEST_CASE("malformed tags are rejected with a reason", "[batch_frame][dcb][bad_input]") {
  std::vector<event_data> events(1);
  events[0].type = "t";
  events[0].payload = "{}";
  events[0].tags = {"a", "b"};
  auto frame = encode(events, {});
  std::string body(frame.body());
  // The encoding byte follows the header and the id; the tag count, then each tag, follow it.
  std::size_t at = batch_fixed_size + std::string("stream-1").size() + 16;
  REQUIRE(static_cast<std::uint8_t>(body[at]) == (1 | encoding_tags_flag));
  REQUIRE(body.substr(at + 1, 5) == std::string("\2\1a\1b", 5));
  std::string reason;
  auto rejects = [&](std::string bad, std::string_view why) {
    CHECK_FALSE(batch_view::parse(bad, reason));
    CHECK_THAT(reason, Catch::Contains(std::string(why)));
  };
  std::string unordered = body;
  unordered[at + 3] = 'b';
  rejects(unordered, "out of order");  // "b", "b": a duplicate
  unordered[at + 3] = 'c';
  rejects(unordered, "out of order");  // "c", "b"
  std::string none = body;
  none[at + 1] = 0;
  rejects(none, "0 tags");
  std::string many = body;
  many[at + 1] = 33;
  rejects(many, "33 tags");
  std::string empty_tag = body;
  empty_tag[at + 2] = 0;
  rejects(empty_tag, "tag 0 is empty");
}

TEST_CASE("a linked batch frame carries its link after the batch, under the frame's CRC",
          "[batch_frame]") {
  std::vector<event_data> events(2);
  events[0].type = "a";
  events[0].payload = "{}";
  events[1].type = "b";
  events[1].payload = "[1]";
  std::vector<std::string> metadata;
  annal::detail::sha256_digest link;
  for (std::size_t i = 0; i < link.size(); ++i) link[i] = static_cast<std::uint8_t>(i * 7);
  byte_buffer out;
  frame_trailer linked_trailer{.type = frame_type_linked_batch, .link = link};
  auto layout = layout_batch_frame("s", events, metadata, linked_trailer);
  encode_batch_frame(out, layout, "s", 1, 1, 99, events, metadata, linked_trailer);
  REQUIRE(out.size() == layout.size);
  auto view = out.view();
  CHECK(static_cast<std::uint8_t>(view[8]) == frame_type_linked_batch);
  std::string_view body = view.substr(frame_header_size);
  std::string reason;
  auto linked = batch_view::parse_frame(frame_type_linked_batch, body, reason);
  REQUIRE(linked);
  REQUIRE(linked->link());
  CHECK(*linked->link() == link);
  CHECK(linked->count() == 2);
  // The same body read as a plain batch has 32 bytes too many; a body shorter than a link fails.
  CHECK_FALSE(batch_view::parse_frame(frame_type_batch, body, reason));
  CHECK_FALSE(batch_view::parse_frame(frame_type_linked_batch, body.substr(0, 31), reason));
  CHECK(reason.find("shorter than its link") != std::string::npos);
  // A plain frame's batch has no link.
  byte_buffer plain;
  frame_trailer plain_trailer{.type = frame_type_batch};
  auto plain_layout = layout_batch_frame("s", events, metadata, plain_trailer);
  encode_batch_frame(plain, plain_layout, "s", 1, 1, 99, events, metadata, plain_trailer);
  CHECK(plain_layout.size + link_size == layout.size);
  auto unlinked =
      batch_view::parse_frame(frame_type_batch, plain.view().substr(frame_header_size), reason);
  REQUIRE(unlinked);
  CHECK_FALSE(unlinked->link());
}

TEST_CASE("a batch frame carries the links of the batches before it, then their count",
          "[batch_frame][chain]") {
  std::vector<event_data> events(1);
  events[0].type = "a";
  events[0].payload = "{}";
  std::vector<std::string> metadata;
  auto link = [](std::uint8_t seed) {
    annal::detail::sha256_digest d;
    for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<std::uint8_t>(seed + i);
    return d;
  };
  for (std::size_t count : {0, 1, 3}) {
    frame_trailer trailer;
    for (std::size_t i = 0; i < count; ++i) {
      trailer.earlier_links.push_back(link(static_cast<std::uint8_t>(10 * i)));
    }
    byte_buffer out;
    auto layout = layout_batch_frame("s", events, metadata, trailer);
    encode_batch_frame(out, layout, "s", 5, 2, 99, events, metadata, trailer);
    REQUIRE(out.size() == layout.size);
    auto view = out.view();
    CHECK(static_cast<std::uint8_t>(view[8]) == frame_type_batch_with_links);
    std::string_view body = view.substr(frame_header_size);
    // The count is the body's last four bytes, little endian.
    CHECK(static_cast<std::uint8_t>(body[body.size() - 4]) == count);
    std::string reason;
    auto batch = batch_view::parse_frame(frame_type_batch_with_links, body, reason);
    INFO(reason);
    REQUIRE(batch);
    CHECK(batch->count() == 1);
    CHECK(batch->first_position() == 5);
    CHECK_FALSE(batch->link());
    CHECK(batch->frame_type() == frame_type_batch_with_links);
    REQUIRE(batch->earlier_link_count() == count);
    for (std::uint32_t i = 0; i < count; ++i) CHECK(batch->earlier_link(i) == link(10 * i));
    // Written again from its trailer (a scavenge's rewrite), the frame is the same.
    byte_buffer again;
    auto copied = batch->trailer();
    encode_batch_frame(again, layout_batch_frame("s", events, metadata, copied), "s", 5, 2, 99,
                       events, metadata, copied);
    CHECK(again.view() == out.view());
  }
  // A count the body cannot hold, and a body without one, are malformed.
  frame_trailer one;
  one.earlier_links.push_back(link(1));
  byte_buffer out;
  encode_batch_frame(out, layout_batch_frame("s", events, metadata, one), "s", 5, 2, 99, events,
                     metadata, one);
  std::string body(out.view().substr(frame_header_size));
  std::string reason;
  std::string too_many = body;
  too_many[too_many.size() - 4] = 100;
  CHECK_FALSE(batch_view::parse_frame(frame_type_batch_with_links, too_many, reason));
  CHECK(reason.find("the 100 links it says it carries") != std::string::npos);
  CHECK_FALSE(batch_view::parse_frame(frame_type_batch_with_links, body.substr(0, 3), reason));
  CHECK(reason.find("shorter than its count of links") != std::string::npos);
  // Read as a frame with its own link, the body's trailer is misread and the batch fails.
  CHECK_FALSE(batch_view::parse_frame(frame_type_linked_batch, body, reason));
}
