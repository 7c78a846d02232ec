// Conformance: checkpoints a store signs itself, kept in its log, resumed and consistent with
// one another, on every backend.
#include "annal/checkpoint_keeper.hpp"

#include <catch2/catch.hpp>
#include <mutex>
#include <thread>

#include "annal/error.hpp"
#include "annal/store_admin.hpp"
#include "core/checkpoint.hpp"
#include "core/log_tree.hpp"
#include "core/merkle_tree.hpp"
#include "support/eventually.hpp"
#include "support/store_fixture.hpp"

using namespace annal;
using annal::test::make_events;
using annal::test::store_fixture;

namespace {

std::string key_text(std::uint8_t fill) {
  std::array<std::uint8_t, 32> seed;
  seed.fill(fill);
  return detail::signer_key_text("store-key", seed);
}

detail::verifier_key verifier(std::uint8_t fill) {
  return detail::parse_verifier_key(
      detail::verifier_key_text(*detail::parse_signer_key(key_text(fill))));
}

// The checkpoint a kept note signs, its signature checked, and its root recomputed from the log.
detail::checkpoint check_kept(event_store& s, const std::string& note) {
  auto key = verifier(7);
  auto c = detail::verify_checkpoint(note, key.name, key.public_key);
  CHECK(c.origin == detail::log_origin(s));
  CHECK(c.root == detail::merkle_root(detail::log_leaf_hashes(s, c.size)));
  return c;
}

}  // namespace

TEST_CASE("a keeper signs the log on demand, keeps the note in the log and resumes from it",
          "[checkpoint_keeper]") {
  store_fixture f;
  auto& s = f.store();
  s.append("a", expected_version::no_stream(), make_events(5));
  std::string first_note;
  {
    checkpoint_keeper keeper(s, key_text(7));
    first_note = keeper.sign_now();
  }
  auto first = check_kept(s, first_note);
  CHECK(first.size == 5);
  auto kept = kept_checkpoints(s);
  REQUIRE(kept.size() == 1);
  CHECK(kept[0].position == 6);
  CHECK(kept[0].size == 5);
  CHECK(kept[0].note == first_note);
  CHECK(s.read_all(6, 1).events.at(0).type == checkpoint_event_type);

  // Another keeper, after more appends and a reopen, goes on from the kept tree's right edge.
  auto& reopened = f.reopen();
  reopened.append("b", expected_version::no_stream(), make_events(3));
  checkpoint_keeper keeper(reopened, key_text(7));
  auto second = check_kept(reopened, keeper.sign_now());
  CHECK(second.size == 9);  // the first checkpoint's event is in the log it signs
  kept = kept_checkpoints(reopened);
  REQUIRE(kept.size() == 2);
  // The later checkpoint extends the earlier one: a consistency proof between them holds.
  auto leaves = detail::log_leaf_hashes(reopened, second.size);
  auto proof = detail::merkle_consistency_proof(leaves, first.size);
  CHECK(detail::verify_merkle_consistency(first.size, second.size, first.root, second.root, proof));
}

TEST_CASE("a keeper with every_batches signs after that many batches, beside appenders",
          "[checkpoint_keeper]") {
  store_fixture f;
  auto& s = f.store();
  std::mutex errors_mutex;
  std::vector<std::string> errors;
  checkpoint_keeper_options options;
  options.every_batches = 5;
  options.on_error = [&](const std::string& message) {
    std::lock_guard lock(errors_mutex);
    errors.push_back(message);
  };
  {
    checkpoint_keeper keeper(s, key_text(7), options);
    std::vector<std::thread> appenders;
    for (int t = 0; t < 2; ++t) {
      appenders.emplace_back([&s, t] {
        for (int i = 0; i < 20; ++i) {
          s.append("t-" + std::to_string(t), expected_version::any(), make_events(2));
        }
      });
    }
    for (auto& a : appenders) a.join();
    // The keeper catches up until fewer than 5 batches (of 2 events) follow its last checkpoint.
    CHECK(test::eventually([&] {
      auto kept = kept_checkpoints(s);
      return !kept.empty() && s.head_position() - kept.back().position <= 4 * 2;
    }));
    // Five more batches, one at a time: one more checkpoint.
    auto before = kept_checkpoints(s).size();
    for (int i = 0; i < 5; ++i) s.append("late", expected_version::any(), make_events(1));
    CHECK(test::eventually([&] { return kept_checkpoints(s).size() == before + 1; }));
    keeper.stop();
  }
  CHECK(errors.empty());
  auto kept = kept_checkpoints(s);
  std::uint64_t previous = 0;
  for (const auto& k : kept) {
    auto c = check_kept(s, k.note);
    CHECK(c.size == k.size);
    CHECK(c.size > previous);
    CHECK(k.position > c.size);
    previous = c.size;
  }
}

TEST_CASE("a keeper refuses a key that is not a signer key, without echoing it",
          "[checkpoint_keeper][bad_input]") {
  store_fixture f;
  std::string secret = key_text(9);
  std::string verifier_only = detail::verifier_key_text(*detail::parse_signer_key(secret));
  try {
    checkpoint_keeper keeper(f.store(), verifier_only);
    FAIL("accepted a verifier key");
  } catch (const invalid_argument& e) {
    CHECK(std::string(e.what()).find(verifier_only) == std::string::npos);
  }
  std::string broken = secret.substr(0, secret.size() - 4) + "AAAA";
  try {
    checkpoint_keeper keeper(f.store(), broken);
    FAIL("accepted a damaged key");
  } catch (const invalid_argument& e) {
    CHECK(std::string(e.what()).find(broken) == std::string::npos);
  }
}

TEST_CASE("a keeper does not trust a kept checkpoint of another key, or a forged one",
          "[checkpoint_keeper][bad_input]") {
  store_fixture f;
  auto& s = f.store();
  s.append("a", expected_version::no_stream(), make_events(4));
  checkpoint_keeper(s, key_text(8)).sign_now();  // another key's checkpoint
  std::vector<std::string> told;
  checkpoint_keeper_options options;
  options.on_error = [&](const std::string& message) { told.push_back(message); };
  {
    checkpoint_keeper keeper(s, key_text(7), options);
    REQUIRE(told.size() == 1);
    CHECK_THAT(told[0], Catch::Contains("not one this key signed"));
    check_kept(s, keeper.sign_now());  // from the whole log: the right root
  }
  // A $checkpoint event someone appended with a right edge that is not the log's.
  auto last = s.read_stream(checkpoint_stream, end_of_stream, read_direction::backward, 1).at(0);
  recorded_event forged = last;
  forged.id = uuid::v7();
  forged.position = s.head_position() + 1;
  forged.stream_version = last.stream_version + 1;
  auto at = forged.payload.find("\"frontier\":[\"") + 13;
  forged.payload[at] = forged.payload[at] == '0' ? '1' : '0';
  append_recorded(s, std::span(&forged, 1));
  told.clear();
  checkpoint_keeper keeper(s, key_text(7), options);
  CHECK(told.size() == 1);
  check_kept(s, keeper.sign_now());
  // The store still opens and a keeper still starts when a $checkpoint event is not JSON.
  forged.id = uuid::v7();
  forged.position = s.head_position() + 1;
  forged.stream_version = s.stream_version(checkpoint_stream) + 1;
  forged.payload = "[]";
  append_recorded(s, std::span(&forged, 1));
  told.clear();
  checkpoint_keeper after(s, key_text(7), options);
  CHECK(told.size() == 1);
  CHECK_THROWS_AS(kept_checkpoints(s), corruption);
}
