// Stores filled for the tool's tests, and the checks of its error output.
#include "cli_fixture.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "annal/open_store.hpp"
#include "support/store_fixture.hpp"

namespace annal::test {

std::string cli_store_uri(const temp_dir& dir, const std::string& name,
                          const std::string& backend) {
  std::string kind = backend.empty() ? backend_under_test() : backend;
  return kind == "sqlite" ? "sqlite:" + dir.file(name + ".db")
                          : "segment:" + dir.file(name) + "?segment_size=65536";
}

std::string other_backend() { return backend_under_test() == "sqlite" ? "segment" : "sqlite"; }

event_data json_event(std::string type, std::string payload) {
  event_data e;
  e.type = std::move(type);
  e.payload = std::move(payload);
  return e;
}

void append_binary_events(event_store& store) {
  event_data binary;
  binary.type = "blob.stored";
  binary.encoding = payload_encoding::binary;
  binary.payload = std::string("\0\x01\xff\xfe\n", 5);
  event_data empty = binary;
  empty.id = uuid::v7();
  empty.payload.clear();
  store.append("order-2", expected_version::no_stream(), std::vector<event_data>{binary, empty});
}

void append_bulk(event_store& store, int bulk, const std::string& type,
                 const std::string& every_third_type) {
  for (int i = 0; i < bulk / 10; ++i) {
    std::vector<event_data> batch;
    for (int k = 0; k < 10; ++k) {
      batch.push_back(json_event(k % 3 == 0 ? every_third_type : type,
                                 "{\"i\":" + std::to_string(i * 10 + k) + "}"));
    }
    store.append("bulk-" + std::to_string(i % 50), expected_version::any(), batch);
  }
}

void fill(const std::string& uri, int bulk) {
  auto store = open_store(uri);
  auto placed = json_event("order.placed", R"({"customer":"ada","lines":[1,2,3]})");
  placed.metadata.correlation_id = "req-1";
  placed.metadata.causation_id = "cmd-1";
  placed.metadata.properties = {{"user", "ada"}, {"tenant", "t\xc3\xa9st"}};
  auto item_added = json_event("order.item_added", R"({"sku":"b-42","price":"4.20"})");
  item_added.type_version = 3;
  std::vector<event_data> first{placed, item_added,
                                json_event("order.paid", "{\n  \"cents\": 2500\n}")};
  store->append("order-1", expected_version::no_stream(), first);
  append_binary_events(*store);
  store->append("not-utf8-\xff", expected_version::any(), json_event("odd.type-\xfe", " 17"));
  append_bulk(*store, bulk, "bulk.odd", "bulk.even");
  store->close();
}

std::size_t line_count(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

std::string write_file(const temp_dir& dir, const std::string& name, const std::string& text) {
  std::string path = dir.file(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::size_t wait_for_lines(const std::string& path, std::size_t n) {
  for (int i = 0; i < 400 && line_count(read_file(path)) < n; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return line_count(read_file(path));
}

tool_result export_of(const std::string& uri) {
  auto r = run_tool({"export", uri});
  REQUIRE(r.exit_code == 0);
  return r;
}

void check_one_line_error(const tool_result& r, const std::string& text) {
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(line_count(r.err) == 1);
  CHECK(r.err.rfind("annal: error: ", 0) == 0);
  CHECK(r.err.find(text) != std::string::npos);
}

void check_usage_error(const tool_result& r, const std::string& text) {
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(line_count(r.err) == 2);
  CHECK(r.err.rfind("annal: error: ", 0) == 0);
  CHECK(r.err.find(text) != std::string::npos);
  CHECK(r.err.find("\nUsage: annal") != std::string::npos);
}

}  // namespace annal::test
