// Conformance: every store has an identity, fixed at creation, adoptable only while empty.
#include <catch2/catch.hpp>

#include "annal/error.hpp"
#include "support/store_fixture.hpp"

using namespace annal;
using annal::test::make_events;
using annal::test::store_fixture;

TEST_CASE("a store's identity is fixed at creation and shared by every store object on it",
          "[identity]") {
  store_fixture f;
  uuid id = f.store().store_id();
  CHECK_FALSE(id.is_nil());
  f.store().append("s", expected_version::any(), make_events(2));
  CHECK(f.reopen().store_id() == id);
  if (annal::test::backend_under_test() != "segment") {  // a segment directory is one object's
    CHECK(f.open_another()->store_id() == id);
  }
  store_fixture other;
  CHECK(other.store().store_id() != id);
}

TEST_CASE("an empty store adopts another identity; one with events refuses and keeps its own",
          "[identity]") {
  store_fixture f;
  auto& s = f.store();
  uuid source = uuid::v7();
  s.adopt_store_id(source);
  CHECK(s.store_id() == source);
  CHECK(f.reopen().store_id() == source);
  CHECK_THROWS_AS(f.store().adopt_store_id(uuid()), invalid_argument);

  f.store().append("s", expected_version::any(), make_events(1));
  // The identity it has already: nothing to change, so no error.
  CHECK_NOTHROW(f.store().adopt_store_id(source));
  try {
    f.store().adopt_store_id(uuid::v7());
    FAIL("adopted an identity while holding events");
  } catch (const invalid_argument& e) {
    CHECK_THAT(e.what(), Catch::Contains("only while it is empty"));
  }
  CHECK(f.store().store_id() == source);
  f.store().close();
  CHECK_THROWS_AS(f.store().store_id(), store_closed);
}
