// A read model sees forgotten subjects' personal fields as erased, and their forget events.
#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "annal/personal.hpp"
#include "annal/system_events.hpp"
#include "projection/projection_fixture.hpp"

namespace member {

struct joined {
  static constexpr std::string_view type = "member.joined";
  static constexpr std::string_view subject_field = "member_id";
  std::string member_id;
  annal::personal<std::string> email;
};
using event = std::variant<joined, annal::subject_forgotten_event>;

}  // namespace member

using namespace annal;
using namespace std::chrono_literals;
using annal::test::projection_fixture;

TEST_CASE("a projection reads a forgotten subject's fields as erased and drops its rows",
          "[privacy]") {
  projection_fixture f;
  auto& s = f.store();
  for (const char* id : {"m-1", "m-2"}) {
    s.append(
        std::string("member-") + id, expected_version::no_stream(),
        event_codec<member::event>::encode(member::joined{id, std::string(id) + "@example.com"}));
  }
  REQUIRE(s.forget("m-1"));
  std::uint64_t head = s.head_position();
  auto erased_seen = std::make_shared<std::atomic<int>>(0);
  struct handler {
    std::shared_ptr<std::atomic<int>> erased;
    void operator()(const member::joined& e, const recorded_event&,
                    read_model_transaction& tx) const {
      if (e.email.erased()) ++*erased;
      tx.execute("INSERT INTO {members}(id, email) VALUES ($1, $2)",
                 {e.member_id, e.email.value_or("")});
    }
    void operator()(const subject_forgotten_event& e, const recorded_event&,
                    read_model_transaction& tx) const {
      tx.execute("DELETE FROM {members} WHERE id = $1", {e.subject});
    }
  };
  projection_runner runner(s, f.model);
  runner.add(sqlite_projection<member::event>(
      "members", 1, {"members"},
      [](read_model_transaction& tx) {
        tx.execute("CREATE TABLE {members}(id TEXT PRIMARY KEY, email TEXT)");
      },
      handler{erased_seen}));
  runner.start();
  REQUIRE(runner.wait_until("members", head, 30s));
  runner.stop();
  CHECK(*erased_seen == 1);
  read_model_reader reader(f.model);
  std::vector<std::string> rows;
  reader.query("SELECT id, email FROM members ORDER BY id", {},
               [&](const sql_row& row) { rows.push_back(row.text(0) + " " + row.text(1)); });
  CHECK(rows == std::vector<std::string>{"m-2 m-2@example.com"});
}
