// Real-process kill tests: a child appends as fast as it can and is killed with SIGKILL at a
// random moment; the parent reopens the store and checks every acknowledged batch. Every batch is
// a conditional append claiming a name that the batch after it claims too, so the parent also
// checks that no name is held twice and that the tag index agrees with the log after every kill.
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include "annal/error.hpp"
#include "annal/open_store.hpp"
#include "annal/query.hpp"
#include "annal/verify.hpp"
#include "support/process.hpp"
#include "support/store_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace annal;

namespace {

// What the child reports after each acknowledged append. 16 bytes: a pipe write of at most
// PIPE_BUF bytes is atomic, so a kill never leaves half a report.
struct ack {
  std::uint32_t round;
  std::uint32_t batch;
  std::uint64_t first_position;  // 0: refused, its condition failed
};

// The parent's own append after each round, proving the store accepts appends after a kill.
constexpr std::uint32_t parent_batch = 1'000'000;
// The child's first report, before any append: the store is open.
constexpr std::uint32_t opened_report = 2'000'000;

std::size_t batch_size(std::uint32_t batch) { return batch == parent_batch ? 2 : 1 + batch % 5; }

std::string stream_of(std::uint32_t batch) {
  return batch == parent_batch ? "parent" : "stream-" + std::to_string(batch % 7);
}

// The name batches 2k and 2k + 1 of a round both claim (each event of a batch carries it): the
// first to append it holds it.
std::string claim_of(std::uint32_t round, std::uint32_t batch) {
  return "claim:" + std::to_string(round) + ":" + std::to_string(batch / 2);
}

// The condition of a batch's append: nothing holds its claim yet.
append_condition condition_of(std::uint32_t round, std::uint32_t batch) {
  return {query::of({{.tags = {claim_of(round, batch)}}}), 0};
}

void put_u32(std::array<std::uint8_t, 16>& bytes, std::size_t at, std::uint32_t value) {
  for (std::size_t i = 0; i < 4; ++i)
    bytes[at + i] = static_cast<std::uint8_t>(value >> (24 - 8 * i));
}

std::uint32_t get_u32(const std::array<std::uint8_t, 16>& bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value = (value << 8) | bytes[at + i];
  return value;
}

// The events of a batch are a function of (round, batch): the parent rebuilds them to check
// that what it reads back is intact. The id encodes where the event belongs.
std::vector<event_data> batch_events(std::uint32_t round, std::uint32_t batch) {
  std::vector<event_data> events(batch_size(batch));
  for (std::uint32_t k = 0; k < events.size(); ++k) {
    std::array<std::uint8_t, 16> id{};
    put_u32(id, 0, round);
    put_u32(id, 4, batch);
    put_u32(id, 8, k);
    id[12] = 0xa7;  // never nil
    events[k].id = uuid(id);
    events[k].type = "kill.test." + std::to_string(k % 3);
    // Payload sizes vary so that frames straddle segment ends and pages.
    events[k].payload = "{\"round\":" + std::to_string(round) +
                        ",\"batch\":" + std::to_string(batch) + ",\"pad\":\"" +
                        std::string((batch * 37 + k * 101) % 900, 'x') + "\"}";
    events[k].metadata.properties["k"] = std::to_string(k);
    events[k].tags = {claim_of(round, batch)};
  }
  return events;
}

std::size_t environment_number(const char* name, std::size_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::strtoull(value, nullptr, 10) : fallback;
}

store_options quiet_options(std::size_t& warnings) {
  store_options options;
  options.on_warning = [&warnings](const std::string&) { ++warnings; };
  return options;
}

// Runs in the forked child: `writers` threads append until killed, each reporting every batch
// acknowledged to it. Writer t appends batches t, t + writers, t + 2 writers, ...
void append_until_killed(const std::string& uri, std::uint32_t round, std::uint32_t writers,
                         test::process& parent) {
  store_options options;
  options.on_warning = [](const std::string&) {};
  auto store = open_store(uri, options);
  ack opened{round, opened_report, 0};
  parent.send(&opened, sizeof opened);
  auto write = [&](std::uint32_t first) {
    for (std::uint32_t batch = first;; batch += writers) {
      auto events = batch_events(round, batch);
      ack a{round, batch, 0};
      try {
        a.first_position = store
                               ->append(stream_of(batch), expected_version::any(), events,
                                        condition_of(round, batch))
                               .first_position;
      } catch (const append_condition_failed&) {
        // Refused: reported with position 0.
      }
      parent.send(&a, sizeof a);
    }
  };
  for (std::uint32_t t = 1; t < writers; ++t) std::thread(write, t).detach();
  write(0);
}

struct batch_key {
  std::uint32_t round;
  std::uint32_t batch;
  auto operator<=>(const batch_key&) const = default;
};

// Reads the whole log and checks the claims of a kill test; returns the events read. With
// several writers, each may have had one batch in flight. The claims of the batches of
// `claims_of_round` are looked up in the tag index (all of them when it is nullopt).
std::size_t check_store(event_store& store, const std::map<batch_key, std::uint64_t>& acked,
                        std::uint32_t writers,
                        std::optional<std::uint32_t> claims_of_round = std::nullopt) {
  auto events = store.read_all(1, unlimited).events;
  std::map<std::string, std::uint64_t> versions;
  std::map<batch_key, std::vector<const recorded_event*>> batches;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    REQUIRE(e.position == i + 1);                          // gapless positions
    REQUIRE(e.stream_version == ++versions[e.stream_id]);  // contiguous versions
    batch_key key{get_u32(e.id.bytes(), 0), get_u32(e.id.bytes(), 4)};
    batches[key].push_back(&e);
  }
  // Per round, the batches present but not acknowledged: at most one in flight per writer.
  std::map<std::uint32_t, int> unacknowledged;
  for (const auto& [key, stored] : batches) {
    CAPTURE(key.round, key.batch);
    auto expected = batch_events(key.round, key.batch);
    REQUIRE(stored.size() == expected.size());  // a whole batch or nothing
    for (std::size_t k = 0; k < stored.size(); ++k) {
      REQUIRE(stored[k]->position == stored[0]->position + k);
      REQUIRE(stored[k]->id == expected[k].id);
      REQUIRE(stored[k]->stream_id == stream_of(key.batch));
      REQUIRE(stored[k]->type == expected[k].type);
      REQUIRE(stored[k]->payload == expected[k].payload);
      REQUIRE(stored[k]->metadata.properties == expected[k].metadata.properties);
      REQUIRE(stored[k]->tags == expected[k].tags);
    }
    auto ack = acked.find(key);
    if (ack != acked.end()) {
      REQUIRE(stored[0]->position == ack->second);  // a refused batch (0) was not written
    } else {
      REQUIRE(key.batch != parent_batch);
      REQUIRE(++unacknowledged[key.round] <= static_cast<int>(writers));
      if (key.batch >= writers) REQUIRE(acked.count({key.round, key.batch - writers}) == 1);
    }
    if (key.batch != parent_batch && (!claims_of_round || *claims_of_round == key.round)) {
      // The claim is held by this batch alone, and the tag index finds exactly its events.
      auto holders =
          store.read_events(query::of({{.tags = {claim_of(key.round, key.batch)}}})).events;
      REQUIRE(holders.size() == stored.size());
      for (std::size_t k = 0; k < stored.size(); ++k) REQUIRE(holders[k].id == stored[k]->id);
    }
  }
  for (const auto& [key, position] : acked) {
    CAPTURE(key.round, key.batch, position);
    // Every acknowledged batch survived; every refused one is absent, and was refused because
    // the batch that claims the same name is stored.
    REQUIRE(batches.count(key) == (position == 0 ? 0u : 1u));
    if (position == 0) REQUIRE(batches.count({key.round, key.batch ^ 1u}) == 1);
  }
  return events.size();
}

// Appends each of `batches` again, as a client that never learnt the outcome would: every one
// must be recognised as the retry it is, also after segment rolls and reopens.
void check_retries(event_store& store, const std::map<batch_key, std::uint64_t>& acked,
                   const std::vector<batch_key>& batches) {
  for (const auto& key : batches) {
    CAPTURE(key.round, key.batch);
    if (acked.at(key) == 0) {
      // A refused conditional append is refused again.
      REQUIRE_THROWS_AS(
          store.append(stream_of(key.batch), expected_version::any(),
                       batch_events(key.round, key.batch), condition_of(key.round, key.batch)),
          append_condition_failed);
      continue;
    }
    if (key.batch != parent_batch) {
      // A stored conditional append is recognised as the retry it is, although its own events
      // now hold its claim.
      auto retry =
          store.append(stream_of(key.batch), expected_version::any(),
                       batch_events(key.round, key.batch), condition_of(key.round, key.batch));
      REQUIRE_FALSE(retry.written);
      REQUIRE(retry.first_position == acked.at(key));
      continue;
    }
    auto retry = store.append(stream_of(key.batch), expected_version::any(),
                              batch_events(key.round, key.batch));
    REQUIRE_FALSE(retry.written);
    REQUIRE(retry.first_position == acked.at(key));
  }
}

}  // namespace

TEST_CASE("SIGKILL at a random moment loses no acknowledged batch and leaves no partial one",
          "[crash][kill]") {
  const std::size_t rounds = environment_number("ANNAL_KILL_ROUNDS", 200);
  // Long enough to cover opening and recovery, a segment roll and many group commits.
  const auto max_delay = std::chrono::microseconds(environment_number("ANNAL_KILL_MAX_US", 50000));
  test::temp_dir dir;
  const std::string uri = test::backend_uri(dir);
  const std::string child_session = "annal-kill-test-child";
  // ANNAL_KILL_WRITERS threads append in the child (1 by default): with several, kills land in
  // commit groups of several batches, which with tiny segments roll in their middle.
  const auto writers = static_cast<std::uint32_t>(environment_number("ANNAL_KILL_WRITERS", 1));
  std::mt19937_64 random(environment_number("ANNAL_KILL_SEED", 7));
  std::map<batch_key, std::uint64_t> acked;
  std::size_t warnings = 0;
  std::size_t kills = 0;
  std::size_t acknowledged_in_rounds = 0;
  std::size_t rounds_without_ack = 0;
  std::size_t refused = 0;  // conditional appends refused as they should be
  std::size_t events = 0;
  // Even rounds time the kill from the fork, so it may land in opening and recovery; odd rounds
  // from the child's report that its store is open, so it lands among appends even where opening
  // is slow (under a sanitizer, or with a server's connection set-up).
  std::size_t kills_after_open = 0;

  for (std::uint32_t round = 0; round < rounds; ++round) {
    CAPTURE(round);
    test::process child([&](test::process& parent) {
      append_until_killed(test::with_session_name(uri, child_session), round, writers, parent);
    });
    bool opened = false;
    ack a{};
    if (round % 2 == 1) {
      REQUIRE(child.receive(&a, sizeof a));
      REQUIRE(a.batch == opened_report);
      opened = true;
      ++kills_after_open;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(
        std::uniform_int_distribution<std::int64_t>(0, max_delay.count())(random)));
    child.kill();
    int status = child.wait();
    // A child that stopped by itself failed: it printed why on standard error.
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);
    ++kills;
    // On a server, a batch whose COMMIT left before the kill may still land; the check below
    // starts once nothing of the dead child can change the log any more.
    test::wait_for_sessions_to_end(uri, child_session);

    std::size_t acks_this_round = 0;
    std::vector<batch_key> acked_this_round;
    while (child.receive(&a, sizeof a)) {
      REQUIRE(a.round == round);
      if (a.batch == opened_report) {
        REQUIRE_FALSE(opened);
        opened = true;
        continue;
      }
      acked[{a.round, a.batch}] = a.first_position;
      acked_this_round.push_back({a.round, a.batch});
      if (a.first_position == 0) ++refused;
      ++acks_this_round;
    }
    acknowledged_in_rounds += acks_this_round;
    if (acks_this_round == 0) ++rounds_without_ack;

    auto store = open_store(uri, quiet_options(warnings));
    events = check_store(*store, acked, writers, round);
    check_retries(*store, acked, acked_this_round);
    auto result = store->append(stream_of(parent_batch), expected_version::any(),
                                batch_events(round, parent_batch));
    REQUIRE(result.first_position == events + 1);
    acked[{round, parent_batch}] = result.first_position;
  }
  auto store = open_store(uri, quiet_options(warnings));
  events = check_store(*store, acked, writers);
  std::vector<batch_key> all;
  for (const auto& [key, position] : acked) all.push_back(key);
  check_retries(*store, acked, all);
  REQUIRE(store->head_position() == events);
  store->close();
  auto report = verify_store(uri);
  INFO((report.ok() ? std::string() : report.problems.front().message));
  CHECK(report.ok());
  std::cout << "kill test (" << test::backend_under_test() << ", " << writers
            << " writer(s)): " << kills << " kills survived, " << acknowledged_in_rounds
            << " acknowledged batches checked after every later kill (" << refused
            << " of them refused by their condition), " << rounds_without_ack
            << " kills before the first acknowledgement (" << kills_after_open
            << " kills timed from the open store), " << warnings << " recovery warnings, " << events
            << " events in the final log\n";
}
