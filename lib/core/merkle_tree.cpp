// RFC 6962's Merkle tree hash, audit paths and consistency proofs (sections 2.1.1 to 2.1.4).
#include "core/merkle_tree.hpp"

#include <fmt/format.h>

#include <bit>

#include "annal/error.hpp"

namespace annal::detail {

namespace {

// The largest power of two smaller than n (n >= 2): where RFC 6962 splits a tree of n leaves.
std::uint64_t split_point(std::uint64_t n) noexcept { return std::bit_floor(n - 1); }

// Where a proof's node was the last of its level (fn == sn, a right edge with no sibling), moves
// fn and sn up together past the levels where the node was a left child without a right one:
// until fn is a right child (odd) or the root (0). Nothing when fn is already odd.
void skip_right_edge(std::uint64_t& fn, std::uint64_t& sn) noexcept {
  while ((fn & 1) == 0 && fn != 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

void append_inclusion(std::span<const sha256_digest> leaves, std::uint64_t index,
                      std::vector<sha256_digest>& proof) {
  if (leaves.size() <= 1) return;
  std::uint64_t k = split_point(leaves.size());
  if (index < k) {
    append_inclusion(leaves.first(k), index, proof);
    proof.push_back(merkle_root(leaves.subspan(k)));
  } else {
    append_inclusion(leaves.subspan(k), index - k, proof);
    proof.push_back(merkle_root(leaves.first(k)));
  }
}

// SUBPROOF(m, D[n], b) of RFC 6962 section 2.1.2.
void append_subproof(std::uint64_t m, std::span<const sha256_digest> leaves, bool whole,
                     std::vector<sha256_digest>& proof) {
  std::uint64_t n = leaves.size();
  if (m == n) {
    if (!whole) proof.push_back(merkle_root(leaves));
    return;
  }
  std::uint64_t k = split_point(n);
  if (m <= k) {
    append_subproof(m, leaves.first(k), whole, proof);
    proof.push_back(merkle_root(leaves.subspan(k)));
  } else {
    append_subproof(m - k, leaves.subspan(k), false, proof);
    proof.push_back(merkle_root(leaves.first(k)));
  }
}

}  // namespace

sha256_digest merkle_leaf_hash(std::span<const std::uint8_t> leaf) noexcept {
  return sha256_hasher().add(0x00).add(leaf).finish();
}

sha256_digest merkle_node_hash(const sha256_digest& left, const sha256_digest& right) noexcept {
  return sha256_hasher().add(0x01).add(left).add(right).finish();
}

sha256_digest merkle_root(std::span<const sha256_digest> leaves) {
  if (leaves.empty()) return sha256(std::span<const std::uint8_t>());
  if (leaves.size() == 1) return leaves.front();
  std::uint64_t k = split_point(leaves.size());
  return merkle_node_hash(merkle_root(leaves.first(k)), merkle_root(leaves.subspan(k)));
}

std::vector<sha256_digest> merkle_inclusion_proof(std::span<const sha256_digest> leaves,
                                                  std::uint64_t index) {
  if (index >= leaves.size()) {
    throw invalid_argument("leaf " + std::to_string(index) + " is not in a tree of " +
                           std::to_string(leaves.size()) + " leaves");
  }
  std::vector<sha256_digest> proof;
  append_inclusion(leaves, index, proof);
  return proof;
}

bool verify_merkle_inclusion(const sha256_digest& leaf, std::uint64_t index, std::uint64_t size,
                             std::span<const sha256_digest> proof, const sha256_digest& root) {
  if (index >= size) return false;
  // RFC 9162 section 2.1.3.2: walk up from the leaf; fn is its index, sn the last index.
  std::uint64_t fn = index;
  std::uint64_t sn = size - 1;
  sha256_digest r = leaf;
  for (const auto& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      r = merkle_node_hash(p, r);
      skip_right_edge(fn, sn);
    } else {
      r = merkle_node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

std::vector<sha256_digest> merkle_consistency_proof(std::span<const sha256_digest> leaves,
                                                    std::uint64_t old_size) {
  if (old_size > leaves.size()) {
    throw invalid_argument("a tree of " + std::to_string(leaves.size()) +
                           " leaves has no prefix of " + std::to_string(old_size));
  }
  std::vector<sha256_digest> proof;
  if (old_size == 0 || old_size == leaves.size()) return proof;
  append_subproof(old_size, leaves, true, proof);
  return proof;
}

bool verify_merkle_consistency(std::uint64_t old_size, std::uint64_t new_size,
                               const sha256_digest& old_root, const sha256_digest& new_root,
                               std::span<const sha256_digest> proof) {
  if (old_size > new_size) return false;
  if (old_size == new_size) return proof.empty() && old_root == new_root;
  if (old_size == 0) return proof.empty();
  if (proof.empty()) return false;
  // RFC 9162 section 2.1.4.2. A power-of-two old tree is a node of the new one: the proof
  // leaves out its root, which the verifier knows.
  std::vector<sha256_digest> path;
  if (std::has_single_bit(old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  std::uint64_t fn = old_size - 1;
  std::uint64_t sn = new_size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  sha256_digest fr = path.front();
  sha256_digest sr = path.front();
  for (std::size_t i = 1; i < path.size(); ++i) {
    const auto& c = path[i];
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      fr = merkle_node_hash(c, fr);
      sr = merkle_node_hash(c, sr);
      skip_right_edge(fn, sn);
    } else {
      sr = merkle_node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == old_root && sr == new_root && sn == 0;
}

merkle_frontier::merkle_frontier(std::uint64_t size, std::vector<sha256_digest> nodes)
    : size_(size), nodes_(std::move(nodes)) {
  if (static_cast<std::size_t>(std::popcount(size)) != nodes_.size()) {
    throw invalid_argument(fmt::format("a tree of {} leaves has {} subtree roots, not {}", size,
                                       std::popcount(size), nodes_.size()));
  }
}

void merkle_frontier::add(const sha256_digest& leaf_hash) {
  // Like a binary counter: each 1 bit carried merges the two subtrees of its size.
  sha256_digest node = leaf_hash;
  for (std::uint64_t size = size_; (size & 1) != 0; size >>= 1) {
    node = merkle_node_hash(nodes_.back(), node);
    nodes_.pop_back();
  }
  nodes_.push_back(node);
  ++size_;
}

sha256_digest merkle_frontier::root() const {
  if (nodes_.empty()) return sha256(std::span<const std::uint8_t>());
  // RFC 6962 splits at the largest power of two below the size: the largest subtree is the
  // left child, the tree over the rest the right one, down to the smallest subtree.
  sha256_digest root = nodes_.back();
  for (auto node = nodes_.rbegin() + 1; node != nodes_.rend(); ++node) {
    root = merkle_node_hash(*node, root);
  }
  return root;
}

}  // namespace annal::detail
