// End to end: a server started with a checkpoint key keeps signed checkpoints of its log while
// it serves, and each one checks against the log.
#include <array>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "annal/annal.hpp"
#include "core/checkpoint.hpp"
#include "core/log_tree.hpp"
#include "core/merkle_tree.hpp"
#include "e2e_fixture.hpp"

using namespace order_service::test;
using nlohmann::json;

TEST_CASE("a server with a checkpoint key keeps a signed checkpoint every N batches", "[e2e]") {
  annal::test::temp_dir dir;
  std::string uri = store_uri(dir);
  std::array<std::uint8_t, 32> seed;
  seed.fill(42);
  std::string key = annal::detail::signer_key_text("order-service", seed);
  std::vector<std::string> logged;
  {
    running_server server(uri, [&](order_service::server_options& o) {
      o.checkpoint_key = key;
      o.checkpoint_every_batches = 3;
      o.log = [&](std::string_view line) { logged.emplace_back(line); };
    });
    auto api = server.client();
    for (int i = 0; i < 6; ++i) {
      auto customer = api.post("/customers",
                               json{{"name", "c" + std::to_string(i)}, {"email", "c@example.com"}});
      REQUIRE(customer.status == 201);
    }
    // Six batches: a checkpoint after three of them at least.
    CHECK(annal::test::eventually(
        [&] { return !annal::kept_checkpoints(server.get().store()).empty(); }));
  }
  CHECK(logged.empty());
  auto store = annal::open_store(uri);
  auto kept = annal::kept_checkpoints(*store);
  REQUIRE(!kept.empty());
  auto verifier = annal::detail::parse_verifier_key(
      annal::detail::verifier_key_text(*annal::detail::parse_signer_key(key)));
  for (const auto& k : kept) {
    auto c = annal::detail::verify_checkpoint(k.note, verifier.name, verifier.public_key);
    CHECK(c.root == annal::detail::merkle_root(annal::detail::log_leaf_hashes(*store, c.size)));
  }
}
