// The Merkle tree of RFC 6962 (certificate transparency) over a log's leaves: root, inclusion and
// consistency proofs, and their verification.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/sha256.hpp"

namespace annal::detail {

/// The hash of a leaf: SHA-256 of 0x00 followed by the leaf's bytes.
sha256_digest merkle_leaf_hash(std::span<const std::uint8_t> leaf) noexcept;
/// The hash of an inner node: SHA-256 of 0x01, the left child's hash, the right child's.
sha256_digest merkle_node_hash(const sha256_digest& left, const sha256_digest& right) noexcept;

/// The root of the tree over `leaves` (leaf hashes, in order); SHA-256 of nothing for none.
sha256_digest merkle_root(std::span<const sha256_digest> leaves);

/// The hashes that prove leaf `index` is in the tree over `leaves`, from the leaf up. Throws
/// annal::invalid_argument when index >= leaves.size().
std::vector<sha256_digest> merkle_inclusion_proof(std::span<const sha256_digest> leaves,
                                                  std::uint64_t index);

/// True when `proof` shows that `leaf` (a leaf hash) is leaf `index` of a tree of `size` leaves
/// whose root is `root`. Never throws; false for an index outside the tree.
bool verify_merkle_inclusion(const sha256_digest& leaf, std::uint64_t index, std::uint64_t size,
                             std::span<const sha256_digest> proof, const sha256_digest& root);

/// The hashes that prove the tree over the first `old_size` of `leaves` is a prefix of the tree
/// over all of them. Empty when old_size is 0 or leaves.size(). Throws annal::invalid_argument
/// when old_size > leaves.size().
std::vector<sha256_digest> merkle_consistency_proof(std::span<const sha256_digest> leaves,
                                                    std::uint64_t old_size);

/// True when `proof` shows that the tree of `old_size` leaves with root `old_root` is a prefix of
/// the tree of `new_size` leaves with root `new_root`. A tree of 0 leaves is a prefix of every
/// tree; equal sizes need an empty proof and equal roots. Never throws.
bool verify_merkle_consistency(std::uint64_t old_size, std::uint64_t new_size,
                               const sha256_digest& old_root, const sha256_digest& new_root,
                               std::span<const sha256_digest> proof);

/// The right edge of a growing tree: the roots of its perfect subtrees, one for each bit set in
/// its size, largest first (at most 64 hashes). Adding a leaf and taking the root cost O(log n)
/// with no leaf kept, so a store can sign a checkpoint every few batches. Not thread-safe.
class merkle_frontier {
 public:
  merkle_frontier() = default;
  /// The frontier of a tree of `size` leaves from its subtree roots, as nodes() gave them.
  /// Throws annal::invalid_argument unless there is one node for each bit set in `size`.
  merkle_frontier(std::uint64_t size, std::vector<sha256_digest> nodes);

  /// Adds the next leaf hash.
  void add(const sha256_digest& leaf_hash);
  /// merkle_root() of every leaf added.
  sha256_digest root() const;
  std::uint64_t size() const noexcept { return size_; }
  const std::vector<sha256_digest>& nodes() const noexcept { return nodes_; }

 private:
  std::uint64_t size_ = 0;
  std::vector<sha256_digest> nodes_;
};

}  // namespace annal::detail
