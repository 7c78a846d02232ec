// Checkpoints a store signs itself, every N batches or on demand, and keeps in its own log.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "annal/event_store.hpp"
#include "annal/export.hpp"

namespace annal {

/// The stream a checkpoint_keeper keeps its checkpoints in, and their event type.
inline constexpr std::string_view checkpoint_stream = "$checkpoints";
inline constexpr std::string_view checkpoint_event_type = "$checkpoint";

/// How a checkpoint_keeper works.
struct checkpoint_keeper_options {
  /// Sign a checkpoint once this many batches were appended after the last one kept (counted
  /// from the batch after its `$checkpoint` event). 0: only when sign_now() is called, and no
  /// thread.
  std::uint64_t every_batches = 0;
  /// Told about a checkpoint the keeper failed to sign or keep (on its thread; it tries again
  /// after the next batch) and, from the constructor, about a last kept checkpoint it does not
  /// trust (see checkpoint_keeper). Must not block for long; what it throws is ignored. Empty:
  /// the message goes to stderr.
  std::function<void(const std::string& message)> on_error;
};

/// A checkpoint kept in a store's log.
struct kept_checkpoint {
  /// The position of its event in the log.
  std::uint64_t position = 0;
  /// The size of the log it signs: the events at positions 1 to `size`.
  std::uint64_t size = 0;
  /// The signed note (docs/integrity.md), as `annal checkpoint` prints it.
  std::string note;
};

/// Signs checkpoints of a store's log (its size and Merkle root, as a C2SP signed note with an
/// Ed25519 key) and appends each, with the tree's right edge, as a `$checkpoint` event to
/// `$checkpoints`, so that the log carries its own signed history and a later checkpoint can be
/// proven consistent with an earlier one (`annal consistency`). It keeps the tree's right edge
/// (about 64 hashes), not the log: each checkpoint costs reading the events since the last one.
/// It resumes from the last kept checkpoint when that one verifies with the keeper's own key for
/// this log and its right edge gives its signed root; otherwise (the first checkpoint, another
/// key, an event someone else appended) the next checkpoint reads the whole log.
///
/// The store must outlive the keeper. sign_now() and stop() are thread-safe; the keeper's thread,
/// when options.every_batches is set, calls sign_now() after every that many batches. Destroy or
/// stop() the keeper before closing the store. The keeper keeps no copy of the key's text.
class ANNAL_EXPORT checkpoint_keeper {
 public:
  /// `signer_key` is the text of a signer key file (`annal keygen NAME` writes NAME.key). Throws
  /// annal::invalid_argument for a key that is not one (never echoing it) and, with
  /// every_batches set, for a store that keeps no hash chain to count batches by; what reading
  /// `$checkpoints` throws.
  checkpoint_keeper(event_store& store, std::string_view signer_key,
                    checkpoint_keeper_options options = {});
  ~checkpoint_keeper();
  checkpoint_keeper(const checkpoint_keeper&) = delete;
  checkpoint_keeper& operator=(const checkpoint_keeper&) = delete;

  /// Signs a checkpoint of the log as it is now, keeps it, and returns its note. Throws
  /// annal::invalid_argument when the log no longer starts at position 1 (segment retention),
  /// and what reading and appending throw.
  std::string sign_now();
  /// Stops the keeper's thread, waiting for a checkpoint in progress. Idempotent.
  void stop() noexcept;

 private:
  struct state;
  std::unique_ptr<state> state_;
};

/// The checkpoints kept in `store`, oldest first, as their events say (their signatures are not
/// checked here: `annal checkpoints --key` does). Throws annal::corruption for a `$checkpoint`
/// event that is not one, and what reading throws.
ANNAL_EXPORT std::vector<kept_checkpoint> kept_checkpoints(event_store& store);

}  // namespace annal
