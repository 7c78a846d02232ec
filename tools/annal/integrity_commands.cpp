// annal keygen, checkpoint and proof, and verify --checkpoint: signed checkpoints of the log's
// Merkle tree and proofs that an event is in it (docs/integrity.md).
#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "annal/error.hpp"
#include "annal/event_store.hpp"
#include "annal/store_admin.hpp"
#include "commands.hpp"
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

// A checkpoint's origin line names the store it is of.
std::string origin_of(event_store& store) { return "annal/" + store.store_id().to_string(); }

void require_same_store(const detail::checkpoint& c, event_store& store) {
  if (c.origin != origin_of(store)) {
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

int run_checkpoint(const std::string& uri, const std::string& key_file) {
  std::string secret = read_text_file(key_file);
  auto signer = detail::parse_signer_key(secret);
  sodium_memzero(secret.data(), secret.size());
  auto store = open_existing_store(uri);
  detail::checkpoint c;
  c.origin = origin_of(*store);
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
  fmt::print("ok: the chain holds over {} batches, {} events{}{}\n", report.batches_checked,
             report.events_checked, start, older);
  return exit_ok;
}

}  // namespace annal::cli
