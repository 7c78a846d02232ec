// annal keygen, checkpoint and proof, and verify --checkpoint: signed checkpoints of the log's
// Merkle tree and proofs that an event is in it (docs/integrity.md).
#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <map>
#include <sstream>

#include "annal/checkpoint_keeper.hpp"
#include "annal/error.hpp"
#include "annal/event_store.hpp"
#include "annal/store_admin.hpp"
#include "commands.hpp"
#include "consistency_proof.hpp"
#include "core/chain_check.hpp"
#include "core/checkpoint.hpp"
#include "core/log_tree.hpp"
#include "core/merkle_tree.hpp"
#include "inclusion_proof.hpp"
#include "output.hpp"

namespace annal::cli {
namespace {

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error(errno, path, "cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Creates `path` with `text`, readable by its owner alone when `secret`; never overwrites.
void write_new_file(const std::string& path, const std::string& text, bool secret) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, secret ? 0600 : 0644);
  if (fd < 0) {
    throw io_error(errno, path,
                   errno == EEXIST ? "the file exists; remove it or choose another key name"
                                   : "cannot create the file");
  }
  int error = 0;
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    error = errno == 0 ? EIO : errno;
  } else if (::fsync(fd) != 0) {
    error = errno;
  }
  ::close(fd);
  if (error != 0) {
    ::unlink(path.c_str());  // no half-written key left behind
    throw io_error(error, path, "cannot write the file");
  }
}

// The store's tree over its first `size` events, checked against a signed checkpoint of that
// size: throws annal::corruption when they differ.
std::vector<detail::sha256_digest> leaves_matching(event_store& store, const detail::checkpoint& c,
                                                   const std::string& signer) {
  auto leaves = detail::log_leaf_hashes(store, c.size);
  if (detail::merkle_root(leaves) != c.root) {
    throw corruption("checkpoint", -1,
                     fmt::format("the log's first {} events do not match the checkpoint signed by "
                                 "'{}': an event before position {} was changed, removed, added or "
                                 "moved since",
                                 c.size, signer, c.size + 1));
  }
  return leaves;
}

void require_same_store(const detail::checkpoint& c, event_store& store) {
  if (c.origin != detail::log_origin(store)) {
    throw invalid_argument("the checkpoint is of another store (" + c.origin + ")");
  }
}

// The checkpoint in `note_file` (read once, into `note`), its signature checked with the
// verifier key in `key_file` (read into `key`).
detail::checkpoint verified_checkpoint(const std::string& note_file, const std::string& key_file,
                                       detail::verifier_key& key, std::string& note) {
  key = detail::parse_verifier_key(read_text_file(key_file));
  note = read_text_file(note_file);
  return detail::verify_checkpoint(note, key.name, key.public_key);
}

}  // namespace

int run_keygen(const std::string& path) {
  // A path's last part names the key; the files go beside it.
  std::string name = path.substr(path.rfind('/') + 1);
  if (sodium_init() < 0) throw io_error(0, "libsodium", "cannot initialise libsodium");
  std::array<std::uint8_t, 32> seed{};
  randombytes_buf(seed.data(), seed.size());
  std::string secret = detail::signer_key_text(name, seed) + "\n";
  auto signer = detail::parse_signer_key(secret);
  sodium_memzero(seed.data(), seed.size());
  std::string verifier = detail::verifier_key_text(*signer) + "\n";
  write_new_file(path + ".key", secret, true);
  sodium_memzero(secret.data(), secret.size());
  write_new_file(path + ".pub", verifier, false);
  fmt::print("wrote {0}.key (the signer key: keep it secret) and {0}.pub (the verifier key)\n",
             path);
  return exit_ok;
}

int run_checkpoint(const std::string& uri, const std::string& key_file, bool keep) {
  std::string secret = read_text_file(key_file);
  // Wiped on every way out, a throw included.
  struct wiped {
    std::string& text;
    ~wiped() { sodium_memzero(text.data(), text.size()); }
  } wipe_secret{secret};
  auto signer = detail::parse_signer_key(secret);
  auto store = open_existing_store(uri);
  if (keep) {
    checkpoint_keeper keeper(*store, secret);
    fmt::print("{}", keeper.sign_now());
    return exit_ok;
  }
  detail::checkpoint c;
  c.origin = detail::log_origin(*store);
  c.size = store->head_position();
  c.root = detail::merkle_root(detail::log_leaf_hashes(*store, c.size));
  fmt::print("{}", signer->sign(c));
  return exit_ok;
}

int run_proof(const std::string& uri, std::uint64_t position, const std::string& note_file,
              const std::string& key_file) {
  detail::verifier_key key;
  std::string note;
  auto c = verified_checkpoint(note_file, key_file, key, note);
  auto store = open_existing_store(uri);
  require_same_store(c, *store);
  if (position == 0 || position > c.size) {
    throw invalid_argument(
        fmt::format("position {} is not in the checkpoint's log of {} events", position, c.size));
  }
  auto leaves = leaves_matching(*store, c, key.name);
  inclusion_proof proof;
  proof.checkpoint_note = note;
  proof.event = read_stored_log(*store, position, 1).events.at(0);
  proof.path = detail::merkle_inclusion_proof(leaves, position - 1);
  fmt::print("{}", to_json(proof));
  return exit_ok;
}

int run_verify_checkpoint(const std::string& uri, const std::string& note_file,
                          const std::string& key_file) {
  detail::verifier_key key;
  std::string note;
  auto c = verified_checkpoint(note_file, key_file, key, note);
  auto store = open_existing_store(uri);
  require_same_store(c, *store);
  leaves_matching(*store, c, key.name);
  fmt::print("the log's first {} events match the checkpoint signed by '{}'\n", c.size, key.name);
  return exit_ok;
}

int run_verify_chain(const std::string& uri) {
  auto store = open_existing_store(uri);
  auto report = detail::check_chain(*store);
  if (!report.ok()) {
    const auto& b = *report.broken;
    fmt::print("{}{}positions {} to {}: {}\n", b.file, b.file.empty() ? "" : " ", b.first_position,
               b.last_position, report.problem);
    fmt::print(
        "the chain breaks at the batch of positions {} to {}; the {} batches before it "
        "hold\n",
        b.first_position, b.last_position, report.batches_checked);
    return exit_failure;
  }
  std::string start =
      report.first_position == 1
          ? std::string()
          : fmt::format(" from position {} (the log's start)", report.first_position);
  std::string older = report.batches_without_link == 0
                          ? std::string()
                          : fmt::format(", {} of them written before links were stored",
                                        report.batches_without_link);
  std::string awaiting = report.batches_awaiting_link == 0
                             ? std::string()
                             : fmt::format(", the last {} with links the next append stores",
                                           report.batches_awaiting_link);
  fmt::print("ok: the chain holds over {} batches, {} events{}{}{}\n", report.batches_checked,
             report.events_checked, start, older, awaiting);
  return exit_ok;
}

int run_checkpoints(const std::string& uri, const std::string& key_file,
                    std::optional<std::uint64_t> note_position) {
  auto store = open_existing_store(uri);
  auto kept = kept_checkpoints(*store);
  if (note_position) {
    for (const auto& k : kept) {
      if (k.position != *note_position) continue;
      fmt::print("{}", k.note);
      return exit_ok;
    }
    throw invalid_argument(
        fmt::format("no checkpoint is kept at position {} of the log", *note_position));
  }
  std::optional<detail::verifier_key> key;
  if (!key_file.empty()) key = detail::parse_verifier_key(read_text_file(key_file));
  // With a key: each signature first, then one pass over the log, the tree's root taken at each
  // signed size in increasing order (two keepers may keep them out of order).
  std::string origin = detail::log_origin(*store);
  std::vector<std::string> verdicts(kept.size());
  std::map<std::uint64_t, detail::sha256_digest> roots;
  std::vector<std::optional<detail::checkpoint>> signed_ones(kept.size());
  for (std::size_t i = 0; key && i < kept.size(); ++i) {
    try {
      auto c = detail::verify_checkpoint(kept[i].note, key->name, key->public_key);
      if (c.origin != origin) {
        verdicts[i] = "of another store (" + c.origin + ")";
      } else if (c.size != kept[i].size || c.size >= kept[i].position) {
        verdicts[i] = "its size is not the size its event says";
      } else {
        signed_ones[i] = c;
        roots[c.size] = {};
      }
    } catch (const corruption& e) {
      verdicts[i] = e.what();
    }
  }
  detail::merkle_frontier frontier;
  for (auto& [size, root] : roots) {
    detail::extend_log_tree(*store, frontier, size);
    root = frontier.root();
  }
  std::size_t failed = 0;
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const auto& c = signed_ones[i];
    if (c) {
      verdicts[i] = roots[c->size] == c->root
                        ? fmt::format("ok, signed by '{}'", key->name)
                        : fmt::format("does not match the log's first {} events", c->size);
    }
    if (key && verdicts[i].rfind("ok, ", 0) != 0) ++failed;
    fmt::print("position {}: the log's first {} events{}{}\n", kept[i].position, kept[i].size,
               verdicts[i].empty() ? "" : ": ", verdicts[i]);
  }
  fmt::print("{} checkpoint{} kept{}\n", kept.size(), kept.size() == 1 ? "" : "s",
             failed == 0 ? std::string() : fmt::format(", {} failing the check", failed));
  return failed == 0 ? exit_ok : exit_failure;
}

int run_consistency(const std::string& uri, const std::string& older_file,
                    const std::string& newer_file, const std::string& key_file) {
  detail::verifier_key key;
  consistency_proof proof;
  auto older = verified_checkpoint(older_file, key_file, key, proof.old_note);
  auto newer = verified_checkpoint(newer_file, key_file, key, proof.new_note);
  if (older.size > newer.size) {
    throw invalid_argument(
        fmt::format("--from signs {} events and --to {}: --from must be the older checkpoint",
                    older.size, newer.size));
  }
  auto store = open_existing_store(uri);
  require_same_store(older, *store);
  require_same_store(newer, *store);
  auto leaves = leaves_matching(*store, newer, key.name);
  if (detail::merkle_root(std::span(leaves).first(older.size)) != older.root) {
    throw corruption("checkpoint", -1,
                     fmt::format("the log's first {} events do not match the older checkpoint "
                                 "signed by '{}', while its first {} match the newer one: the log "
                                 "was rewritten between the two",
                                 older.size, key.name, newer.size));
  }
  proof.path = detail::merkle_consistency_proof(leaves, older.size);
  fmt::print("{}", to_json(proof));
  return exit_ok;
}

}  // namespace annal::cli
