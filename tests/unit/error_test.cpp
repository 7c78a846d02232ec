// Tests of the error hierarchy: codes, messages and the fields each error carries.
#include "annal/error.hpp"

#include <catch2/catch.hpp>

TEST_CASE("each error reports its code and derives from annal::error", "[error]") {
  try {
    throw annal::wrong_expected_version("order-1", "exact(3)", 5);
  } catch (const annal::error& e) {
    CHECK(e.code() == annal::errc::wrong_expected_version);
    CHECK(std::string(e.what()) ==
          "annal: wrong expected version for stream 'order-1': expected exact(3), actual 5");
  }
  CHECK(annal::store_closed().code() == annal::errc::store_closed);
  CHECK(annal::invalid_argument("x").code() == annal::errc::invalid_argument);
  CHECK(annal::stream_deleted("order-1").code() == annal::errc::stream_deleted);
  CHECK(annal::personal_data_erased().code() == annal::errc::personal_data_erased);
  annal::append_condition_failed failed(7, 9);
  CHECK(failed.code() == annal::errc::append_condition_failed);
  CHECK(failed.after() == 7);
  CHECK(failed.conflicting_position() == 9);
  CHECK(std::string(failed.what()) ==
        "annal: the append's condition failed: an event matching its query is stored at position "
        "9, after position 7");
}

TEST_CASE("messages name where the failure is", "[error]") {
  annal::decode_failed d("order.created", "items[2].sku", "expected string, got number");
  CHECK(std::string(d.what()) ==
        "annal: cannot decode 'order.created' at field 'items[2].sku': expected string, got "
        "number");
  CHECK(d.field_path() == "items[2].sku");
  annal::unknown_event_type u("order.shipped", "order-7", 42);
  CHECK(std::string(u.what()) ==
        "annal: unknown event type 'order.shipped' at position 42 in stream 'order-7'");
  annal::corruption c("store.db", 4096, "bad checksum");
  CHECK(std::string(c.what()) == "annal: corruption in 'store.db' at offset 4096: bad checksum");
}

TEST_CASE("every code has a name", "[error]") {
  for (int code = 1; code <= 14; ++code) {
    CHECK(annal::to_string(static_cast<annal::errc>(code)) != "unknown");
  }
}
