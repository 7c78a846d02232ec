// Conformance: personal fields sealed per subject, and forget() erasing them, on every backend.
#include <catch2/catch.hpp>

#include "annal/codec.hpp"
#include "annal/error.hpp"
#include "annal/personal.hpp"
#include "annal/repository.hpp"
#include "annal/store_admin.hpp"
#include "annal/system_events.hpp"
#include "core/log_tree.hpp"
#include "core/merkle_tree.hpp"
#include "support/store_fixture.hpp"

using namespace annal;
using annal::test::store_fixture;

namespace shop {

struct registered {
  static constexpr std::string_view type = "customer.registered";
  static constexpr std::string_view subject_field = "customer_id";
  std::string customer_id;
  personal<std::string> name;
  personal<std::string> email;
  int tier = 0;
};
// No subject field: the caller names the subject in the metadata.
struct moved {
  static constexpr std::string_view type = "customer.moved";
  personal<std::string> address;
};
using event = std::variant<registered, moved>;
using codec = event_codec<event>;

struct customer {
  personal<std::string> name;
  personal<std::string> address;
  int tier = 0;
};
inline customer apply(customer c, const registered& e) {
  c.name = e.name;
  c.tier = e.tier;
  return c;
}
inline customer apply(customer c, const moved& e) {
  c.address = e.address;
  return c;
}
using customers = repository<customer, event>;

registered make_registered(std::string id, std::string name) {
  return {id, name, name + "@example.com", 2};
}

}  // namespace shop

namespace {

std::string stream_of(const std::string& customer) { return "customer-" + customer; }

void register_customer(event_store& s, const std::string& id, const std::string& name) {
  s.append(stream_of(id), expected_version::any(),
           shop::codec::encode(shop::make_registered(id, name)));
}

shop::registered read_registered(event_store& s, const std::string& id) {
  auto events = s.read_stream(stream_of(id));
  REQUIRE(!events.empty());
  return shop::codec::decode_as<shop::registered>(events.front());
}

// A copied event of `subject` in `stream` whose payload is `payload`, at the next place.
recorded_event copied(event_store& s, std::string stream, std::string subject,
                      std::string payload) {
  recorded_event e;
  e.position = s.head_position() + 1;
  e.stream_version = s.stream_version(stream) + 1;
  e.stream_id = std::move(stream);
  e.type = std::string(shop::registered::type);
  e.id = uuid::v7();
  e.timestamp = std::chrono::system_clock::now();
  e.metadata.subject = std::move(subject);
  e.payload = std::move(payload);
  return e;
}

}  // namespace

TEST_CASE("personal fields read back as written, with the subject in the metadata", "[privacy]") {
  store_fixture f;
  auto& s = f.store();
  event_data written = shop::codec::encode(shop::make_registered("c-1", "Ada"));
  CHECK(written.metadata.subject == "c-1");
  CHECK(
      written.payload ==
      R"({"customer_id":"c-1","name":{"$personal":"Ada"},"email":{"$personal":"Ada@example.com"},"tier":2})");
  s.append(stream_of("c-1"), expected_version::no_stream(), written);

  auto events = s.read_stream(stream_of("c-1"));
  REQUIRE(events.size() == 1);
  CHECK(events[0].payload == written.payload);
  CHECK(events[0].metadata.subject == "c-1");
  auto e = read_registered(s, "c-1");
  CHECK(e.name.value() == "Ada");
  CHECK(e.email.value() == "Ada@example.com");
  auto all = s.read_all(1, 10).events;
  REQUIRE(all.size() == 1);
  CHECK(all[0] == events[0]);
  // The key is durable: a reopened store still reads the data.
  CHECK(read_registered(f.reopen(), "c-1").name.value() == "Ada");
}

TEST_CASE("forget erases a subject's personal fields everywhere and nobody else's", "[privacy]") {
  store_fixture f;
  auto& s = f.store();
  register_customer(s, "c-1", "Ada");
  register_customer(s, "c-2", "Grace");
  s.append(stream_of("c-1"), expected_version::any(),
           shop::codec::encode(shop::moved{std::string("1 Analytical Way")},
                               event_metadata{.subject = "c-1"}));

  CHECK(s.forget("c-1"));
  auto expect_erased = [](event_store& store) {
    auto gone = read_registered(store, "c-1");
    CHECK(gone.name.erased());
    CHECK(gone.email.erased());
    CHECK_THROWS_AS(gone.name.value(), personal_data_erased);
    CHECK(gone.name.value_or("(erased)") == "(erased)");
    CHECK(gone.tier == 2);
    CHECK(gone.customer_id == "c-1");
    auto kept = read_registered(store, "c-2");
    CHECK(kept.name.value() == "Grace");
    for (const auto& e : store.read_all(1, 100).events) {
      CHECK(e.payload.find("Ada") == std::string::npos);
      CHECK(e.payload.find("Analytical") == std::string::npos);
    }
    shop::customers repo(store, "customer");
    auto c1 = repo.load("c-1").state;
    CHECK(c1.name.erased());
    CHECK(c1.address.erased());
    CHECK(repo.load("c-2").state.name.value() == "Grace");
  };
  expect_erased(s);
  expect_erased(f.reopen());

  // The forgotten event, for projections; forgetting again writes nothing.
  auto marks = f.store().read_stream(subject_forgotten_event::stream);
  REQUIRE(marks.size() == 1);
  CHECK(marks[0].type == subject_forgotten_event::type);
  CHECK(marks[0].payload == R"({"subject":"c-1"})");
  CHECK_FALSE(f.store().forget("c-1"));
  CHECK(f.store().read_stream(subject_forgotten_event::stream).size() == 1);
}

TEST_CASE("a forgotten subject takes no new personal data; other data still goes in", "[privacy]") {
  store_fixture f;
  auto& s = f.store();
  register_customer(s, "c-1", "Ada");
  CHECK(s.forget("c-1"));
  std::uint64_t head = s.head_position();
  CHECK_THROWS_AS(register_customer(s, "c-1", "Ada again"), invalid_argument);
  CHECK(s.head_position() == head);
  event_data plain = test::make_event();
  plain.metadata.subject = "c-1";
  s.append(stream_of("c-1"), expected_version::any(), plain);
  // A subject never seen is recorded as forgotten too, and refuses personal data from then on.
  CHECK_FALSE(s.forget("c-9"));
  CHECK_THROWS_AS(register_customer(s, "c-9", "Nobody"), invalid_argument);
}

TEST_CASE("personal fields need a valid subject", "[privacy]") {
  store_fixture f;
  auto& s = f.store();
  CHECK_THROWS_AS(shop::codec::encode(shop::moved{std::string("somewhere")}), invalid_argument);
  CHECK_THROWS_AS(shop::codec::encode(shop::make_registered("", "Ada")), invalid_argument);
  CHECK_THROWS_AS(
      shop::codec::encode(shop::make_registered("c-1", "Ada"), event_metadata{.subject = "c-2"}),
      invalid_argument);
  event_data e = shop::codec::encode(shop::make_registered("c-1", "Ada"));
  e.metadata.subject = std::string(max_subject_size + 1, 'x');
  CHECK_THROWS_AS(s.append("s", expected_version::any(), e), invalid_argument);
  e.metadata.subject = std::string("c\0d", 3);
  CHECK_THROWS_AS(s.append("s", expected_version::any(), e), invalid_argument);
  e.metadata.subject = "\xff";
  CHECK_THROWS_AS(s.append("s", expected_version::any(), e), invalid_argument);
  // A "$personal" member beside others could not be sealed: refused rather than kept in the clear.
  event_data mixed = test::make_event();
  mixed.payload = R"({"x":{"$personal":"Ada","y":2}})";
  mixed.metadata.subject = "c-1";
  CHECK_THROWS_AS(s.append("s", expected_version::any(), mixed), invalid_argument);
  // Personal data appended without the codec still needs a subject.
  mixed.payload = R"({"x":{"$personal":"Ada"}})";
  mixed.metadata.subject.clear();
  CHECK_THROWS_AS(s.append("s", expected_version::any(), mixed), invalid_argument);
  auto copy = copied(s, "s", "", mixed.payload);
  CHECK_THROWS_AS(append_recorded(s, std::span<const recorded_event>(&copy, 1)), invalid_argument);
  CHECK_THROWS_AS(s.forget(""), invalid_argument);
  CHECK_THROWS_AS(s.forget(std::string(max_subject_size + 1, 'x')), invalid_argument);
  CHECK(s.head_position() == 0);
  e.metadata.subject = std::string(max_subject_size, 'x');
  s.append("s", expected_version::any(), e);
  CHECK(s.read_stream("s")[0].metadata.subject == e.metadata.subject);
}

TEST_CASE("a sealed value that fails authentication or lacks its key is a typed error",
          "[privacy]") {
  store_fixture f;
  auto& s = f.store();
  register_customer(s, "c-1", "Ada");
  // A well-formed sealed value (format 1, nonce, tag) that the subject's key did not seal.
  std::string forged =
      R"({"name":{"$sealed":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}})";
  auto tampered = copied(s, "forged", "c-1", forged);
  append_recorded(s, std::span<const recorded_event>(&tampered, 1));
  try {
    s.read_stream("forged");
    FAIL("read");
  } catch (const corruption& e) {
    CHECK_THAT(e.what(), Catch::Contains("fails authentication"));
  }
  CHECK_THROWS_AS(s.read_all(1, 10), corruption);
  // Sealed data of a subject the key store has no key for: an error, not an erasure.
  auto keyless = copied(s, "keyless", "c-7", forged);
  append_recorded(s, std::span<const recorded_event>(&keyless, 1));
  try {
    s.read_stream("keyless");
    FAIL("read");
  } catch (const corruption& e) {
    CHECK_THAT(e.what(), Catch::Contains("no key for subject 'c-7'"));
  }
  // Nothing is lost: the other events read as before, and the errors stay errors.
  CHECK(read_registered(s, "c-1").name.value() == "Ada");
  CHECK_THROWS_AS(s.read_stream("forged"), corruption);
}

TEST_CASE("personal data copied in with append_recorded is sealed like an append", "[privacy]") {
  store_fixture f;
  auto& s = f.store();
  auto e = copied(s, "customer-c-1", "c-1",
                  shop::codec::encode(shop::make_registered("c-1", "Ada")).payload);
  append_recorded(s, std::span<const recorded_event>(&e, 1));
  CHECK(read_registered(s, "c-1").name.value() == "Ada");
  CHECK(s.forget("c-1"));
  CHECK(read_registered(s, "c-1").name.erased());
}

TEST_CASE("a snapshot keeps no plaintext: forget erases the personal fields it holds",
          "[privacy]") {
  auto format = GENERATE(snapshot_encoding::json, snapshot_encoding::cbor);
  store_fixture f;
  auto& s = f.store();
  repository_options options;
  options.snapshot_every = 1;
  options.snapshot_format = format;
  options.on_warning = [](const std::string& warning) { FAIL(warning); };
  shop::customers repo(s, "customer", options);
  repo.update("c-1", [](const shop::customer&) {
    return std::vector<shop::event>{shop::make_registered("c-1", "Ada")};
  });
  REQUIRE(s.snapshots().count() == 1);
  CHECK(repo.load("c-1").state.name.value() == "Ada");
  CHECK(repo.stats().loaded == 1);

  CHECK(s.forget("c-1"));
  auto loaded = repo.load("c-1");
  CHECK(repo.stats().loaded == 2);
  CHECK(loaded.state.name.erased());
  CHECK(loaded.state.tier == 2);
  auto stored = s.snapshots().load("customer-c-1", schema_fingerprint<shop::customer>());
  REQUIRE(stored.found);
  CHECK(stored.found->encoding == format);
  CHECK(stored.found->payload.find("Ada") == std::string::npos);
  CHECK(stored.found->payload.find("$erased") != std::string::npos);
}

TEST_CASE("the log's Merkle tree covers personal fields sealed: a forget changes no leaf",
          "[privacy][integrity]") {
  store_fixture f;
  auto& s = f.store();
  register_customer(s, "c-1", "Ada");
  register_customer(s, "c-2", "Grace");
  auto head = s.head_position();
  auto before = detail::merkle_root(detail::log_leaf_hashes(s, head));
  // The stored form holds the ciphertext, not the name.
  auto stored = read_stored_log(s, 1, head).events;
  REQUIRE(stored.size() == head);
  CHECK(stored[0].payload.find("Ada") == std::string::npos);
  CHECK(s.read_all(1, 1).events[0].payload.find("Ada") != std::string::npos);
  CHECK(s.forget("c-1"));
  CHECK(detail::merkle_root(detail::log_leaf_hashes(s, head)) == before);
  CHECK(read_stored_log(s, 1, head).events == stored);
}
