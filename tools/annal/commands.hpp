// The annal tool's commands: each runs one subcommand and returns the process exit code.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace annal {
class event_store;
class query;
}  // namespace annal

namespace annal::cli {

/// Exit codes, documented in docs/cli.md.
inline constexpr int exit_ok = 0;
/// Problems found (verify), or a runtime error.
inline constexpr int exit_failure = 1;
/// The command line was wrong.
inline constexpr int exit_usage = 2;

/// A command line that parsed but makes no sense (e.g. neither --stream nor --all): exit code 2.
class usage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An exception's message without the "annal: " every annal::error message starts with.
inline std::string_view message_of(const std::exception& e) {
  std::string_view what = e.what();
  return what.starts_with("annal: ") ? what.substr(7) : what;
}

/// How read and tail print events.
enum class event_format { table, json, jsonl };

struct read_request {
  std::string store;
  std::optional<std::string> stream;  // one stream, or the whole log when empty
  std::uint64_t from = 0;             // version (stream) or position (log); 0 = the start
  std::optional<std::uint64_t> limit;
  std::vector<std::string> types;
  event_format format = event_format::jsonl;
};

struct query_request {
  std::string store;
  std::vector<std::string> items;  // each a JSON object {"types": [...], "tags": [...]}
  std::vector<std::string> types;  // with `tags`: one more item, when either is given
  std::vector<std::string> tags;
  bool all = false;  // every event (query::all()) instead of items
  std::uint64_t after = 0;
  std::optional<std::uint64_t> limit;
  event_format format = event_format::jsonl;
};

int run_info(const std::string& store);
int run_streams(const std::string& store, const std::string& prefix,
                std::optional<std::uint64_t> limit);
/// Prints each stored (type, version) with its count and first and last position; with a
/// non-empty `expect_file`, checks them against it (exit 1 when a type not under
/// `ignored_prefixes` is not in it).
int run_types(const std::string& store, const std::string& expect_file,
              const std::vector<std::string>& ignored_prefixes);
int run_read(const read_request& request);
/// The query a request names; throws usage_error for a malformed or invalid item.
query make_query(const query_request& request);
/// Prints the events the request's query matches after its position, in position order.
int run_query(const query_request& request);
/// Follows the log until SIGINT or SIGTERM; `from` 0 means "after the current head".
int run_tail(const std::string& store, const std::vector<std::string>& types, std::uint64_t from,
             event_format format);
int run_verify(const std::string& store);
int run_export(const std::string& store, std::uint64_t from);
int run_import(const std::string& store);
int run_migrate(const std::string& from, const std::string& to);

/// Deletes a stream (soft, or with a tombstone when `hard`), checked against `expected` when set.
int run_delete(const std::string& store, const std::string& stream, bool hard,
               std::optional<std::uint64_t> expected, const std::string& reason);

/// Destroys the key of `subject` (event_store::forget) and says whether it had one.
int run_forget(const std::string& store, const std::string& subject);

/// A change of a stream's retention settings: the fields given replace the stored ones, after
/// clearing them all when `clear`.
struct metadata_change {
  bool clear = false;
  std::optional<std::uint64_t> truncate_before;
  std::optional<std::uint64_t> max_count;
  std::optional<std::uint64_t> max_age_seconds;
};
int run_set_metadata(const std::string& store, const std::string& stream,
                     const metadata_change& change);
/// Erases the events stream metadata hides, or with `dry_run` says what it would erase.
int run_scavenge(const std::string& store, bool dry_run);
/// Writes PATH.key (a new Ed25519 signer key, owner-only) and PATH.pub (its verifier key); the
/// key is named after PATH's last part. Never overwrites.
int run_keygen(const std::string& path);
/// Prints a checkpoint of the whole log (its size and Merkle root) signed with `key_file`; with
/// `keep`, also appends it to the log's $checkpoints stream (annal::checkpoint_keeper).
int run_checkpoint(const std::string& store, const std::string& key_file, bool keep);
/// Lists the checkpoints kept in the log; with `key_file`, checks each one's signature and root
/// against the log. With `note_position`, prints only the note kept at that position.
int run_checkpoints(const std::string& store, const std::string& key_file,
                    std::optional<std::uint64_t> note_position);
/// Prints the proof that the log `newer_file` signs begins with the log `older_file` signs, after
/// checking both against the log.
int run_consistency(const std::string& store, const std::string& older_file,
                    const std::string& newer_file, const std::string& key_file);
/// Prints the proof that the event at `position` is in the log the checkpoint in `note_file`
/// signs, after checking the checkpoint with the verifier key in `key_file` and the log against
/// it.
int run_proof(const std::string& store, std::uint64_t position, const std::string& note_file,
              const std::string& key_file);
/// Checks that the log's first events are still those a signed checkpoint committed to.
int run_verify_checkpoint(const std::string& store, const std::string& note_file,
                          const std::string& key_file);
/// Checks the hash chain stored with every batch and names the first broken link, with its
/// positions and file.
int run_verify_chain(const std::string& store);
/// Prints a stream's version, retention settings and deletions; uses `open` when not null.
int run_show_metadata(const std::string& store, const std::string& stream,
                      event_store* open = nullptr);

}  // namespace annal::cli
