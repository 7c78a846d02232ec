// Tests of SHA-256 and of RFC 6962's Merkle tree: reference roots, and every inclusion and
// consistency proof of trees up to 64 leaves verifying, and failing when anything is changed.
#include "core/merkle_tree.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "annal/error.hpp"

using namespace annal::detail;

namespace {

// The leaves of RFC 6962's reference vectors (certificate-transparency's merkle_tree_test).
std::vector<sha256_digest> reference_leaves() {
  const std::vector<std::string> data{
      "",
      std::string(1, '\x00'),
      "\x10",
      "\x20\x21",
      "\x30\x31",
      "\x40\x41\x42\x43",
      "\x50\x51\x52\x53\x54\x55\x56\x57",
      "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"};
  std::vector<sha256_digest> leaves;
  for (const auto& d : data) {
    leaves.push_back(
        merkle_leaf_hash(std::span(reinterpret_cast<const std::uint8_t*>(d.data()), d.size())));
  }
  return leaves;
}

std::vector<sha256_digest> numbered_leaves(std::size_t n) {
  std::vector<sha256_digest> leaves;
  for (std::size_t i = 0; i < n; ++i) {
    std::string text = "event " + std::to_string(i);
    leaves.push_back(merkle_leaf_hash(
        std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size())));
  }
  return leaves;
}

// A proof binds a leaf to a root; the tree's size is bound to its root by whoever signs the two
// together (a signed tree head), so a proof may verify for more than one size.

// The tree hash by its definition, without the code under test's split.
sha256_digest reference_root(std::span<const sha256_digest> leaves) {
  if (leaves.size() == 1) return leaves.front();
  std::size_t k = 1;
  while (k * 2 < leaves.size()) k *= 2;
  return merkle_node_hash(reference_root(leaves.first(k)), reference_root(leaves.subspan(k)));
}

sha256_digest flipped(sha256_digest d) {
  d[7] ^= 0x20;
  return d;
}

}  // namespace

TEST_CASE("sha256 gives the standard digests, whole or in pieces", "[merkle]") {
  CHECK(to_hex(sha256(std::string_view("abc"))) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(to_hex(sha256(std::string_view(""))) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::string_view a = "ab";
  std::string_view c = "c";
  auto pieces = sha256_hasher()
                    .add(std::span(reinterpret_cast<const std::uint8_t*>(a.data()), a.size()))
                    .add(static_cast<std::uint8_t>(c[0]))
                    .finish();
  CHECK(pieces == sha256(std::string_view("abc")));
}

TEST_CASE("the tree hash matches RFC 6962's reference roots", "[merkle]") {
  const char* roots[] = {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
                         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
                         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
                         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
                         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  auto leaves = reference_leaves();
  for (std::size_t n = 1; n <= 8; ++n) {
    INFO(n << " leaves");
    CHECK(to_hex(merkle_root(std::span(leaves).first(n))) == roots[n - 1]);
  }
  CHECK(merkle_root({}) == sha256(std::string_view("")));
}

TEST_CASE("every inclusion proof up to 64 leaves verifies, and fails when anything changes",
          "[merkle]") {
  auto all = numbered_leaves(64);
  for (std::size_t n = 1; n <= all.size(); ++n) {
    auto leaves = std::span(all).first(n);
    auto root = merkle_root(leaves);
    REQUIRE(root == reference_root(leaves));
    for (std::size_t i = 0; i < n; ++i) {
      INFO("leaf " << i << " of " << n);
      auto proof = merkle_inclusion_proof(leaves, i);
      CHECK(proof.size() <= 6);
      REQUIRE(verify_merkle_inclusion(leaves[i], i, n, proof, root));
      CHECK_FALSE(verify_merkle_inclusion(flipped(leaves[i]), i, n, proof, root));
      CHECK_FALSE(verify_merkle_inclusion(leaves[i], i, n, proof, flipped(root)));
      CHECK_FALSE(verify_merkle_inclusion(leaves[i], n, n, proof, root));
      if (n > 1) CHECK_FALSE(verify_merkle_inclusion(leaves[i], (i + 1) % n, n, proof, root));
      for (std::size_t p = 0; p < proof.size(); ++p) {
        auto changed = proof;
        changed[p] = flipped(changed[p]);
        CHECK_FALSE(verify_merkle_inclusion(leaves[i], i, n, changed, root));
      }
      if (!proof.empty()) {
        auto shorter = proof;
        shorter.pop_back();
        CHECK_FALSE(verify_merkle_inclusion(leaves[i], i, n, shorter, root));
      }
      auto longer = proof;
      longer.push_back(root);
      CHECK_FALSE(verify_merkle_inclusion(leaves[i], i, n, longer, root));
    }
  }
  CHECK_THROWS_AS(merkle_inclusion_proof(std::span(all).first(3), 3), annal::invalid_argument);
}

TEST_CASE("every consistency proof up to 64 leaves verifies, and fails when anything changes",
          "[merkle]") {
  auto all = numbered_leaves(64);
  for (std::size_t n = 1; n <= all.size(); ++n) {
    auto leaves = std::span(all).first(n);
    auto root = merkle_root(leaves);
    for (std::size_t m = 0; m <= n; ++m) {
      INFO(m << " leaves of " << n);
      auto old_root = merkle_root(leaves.first(m));
      auto proof = merkle_consistency_proof(leaves, m);
      REQUIRE(verify_merkle_consistency(m, n, old_root, root, proof));
      if (m == 0 || m == n) {
        CHECK(proof.empty());
        continue;
      }
      CHECK_FALSE(verify_merkle_consistency(m, n, flipped(old_root), root, proof));
      CHECK_FALSE(verify_merkle_consistency(m, n, old_root, flipped(root), proof));
      CHECK_FALSE(verify_merkle_consistency(n, m, root, old_root, proof));
      CHECK_FALSE(verify_merkle_consistency(m, n, old_root, root, {}));
      for (std::size_t p = 0; p < proof.size(); ++p) {
        auto changed = proof;
        changed[p] = flipped(changed[p]);
        CHECK_FALSE(verify_merkle_consistency(m, n, old_root, root, changed));
      }
      // A log that rewrote one of the first m leaves cannot prove it extends the old tree.
      auto rewritten = std::vector<sha256_digest>(leaves.begin(), leaves.end());
      rewritten[m - 1] = flipped(rewritten[m - 1]);
      CHECK_FALSE(verify_merkle_consistency(m, n, old_root, merkle_root(rewritten),
                                            merkle_consistency_proof(rewritten, m)));
    }
  }
  CHECK_THROWS_AS(merkle_consistency_proof(std::span(all).first(3), 4), annal::invalid_argument);
}

TEST_CASE("a frontier gives the root of every prefix, and resumes from its nodes", "[merkle]") {
  std::vector<annal::detail::sha256_digest> leaves;
  annal::detail::merkle_frontier frontier;
  CHECK(frontier.root() == annal::detail::merkle_root(leaves));
  for (int i = 0; i < 300; ++i) {
    std::string leaf = "leaf " + std::to_string(i);
    leaves.push_back(annal::detail::merkle_leaf_hash(
        {reinterpret_cast<const std::uint8_t*>(leaf.data()), leaf.size()}));
    frontier.add(leaves.back());
    REQUIRE(frontier.size() == leaves.size());
    REQUIRE(frontier.root() == annal::detail::merkle_root(leaves));
    CHECK(frontier.nodes().size() == static_cast<std::size_t>(std::popcount(leaves.size())));
    if (i % 37 == 0) {
      // What a kept checkpoint stores: the size and the nodes; the copy goes on alike.
      annal::detail::merkle_frontier resumed(frontier.size(), frontier.nodes());
      resumed.add(leaves.front());
      frontier.add(leaves.front());
      leaves.push_back(leaves.front());
      CHECK(resumed.root() == frontier.root());
      CHECK(resumed.root() == annal::detail::merkle_root(leaves));
    }
  }
  CHECK_THROWS_AS(annal::detail::merkle_frontier(3, {leaves[0]}), annal::invalid_argument);
}
