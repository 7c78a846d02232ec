// The annal command-line tool: inspect, tail, export/import, migrate, verify, delete, truncate,
// scavenge and forget.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "annal/error.hpp"
#include "annal/open_store.hpp"
#include "commands.hpp"
#include "count_option.hpp"

namespace {

using namespace annal::cli;

const std::string uri_forms =
    "sqlite:FILE, segment:DIR or postgres://USER@HOST:PORT/DB, optionally with ?OPTIONS (see "
    "docs/cli.md)";
const std::string store_help = "Store URI: " + uri_forms;

const char* const exit_codes =
    "Exit codes: 0 ok, 1 problems found or a runtime error, 2 a usage error.";

CLI::App* command(CLI::App& app, const char* name, const char* description,
                  const std::string& examples) {
  CLI::App* sub = app.add_subcommand(name, description);
  sub->footer("Examples:\n" + examples + "\n" + exit_codes);
  return sub;
}

event_format parse_format(const std::string& name) {
  if (name == "table") return event_format::table;
  if (name == "json") return event_format::json;
  return event_format::jsonl;
}

// The default format: indented JSON for a person at a terminal, JSON lines for a pipe.
std::string default_format() { return ::isatty(STDOUT_FILENO) == 1 ? "json" : "jsonl"; }

// `message` without the password of any PostgreSQL URI among the arguments: errors may quote
// an argument, and libpq's may quote a URI or part of it.
std::string without_passwords(std::string message, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) message = annal::redact_passwords(message, argv[i]);
  return message;
}

// One line naming the error, then the failing command's usage line.
int usage_failure(const CLI::App& app, const std::string& message) {
  const CLI::App* failing = &app;
  while (!failing->get_subcommands().empty()) failing = failing->get_subcommands().front();
  std::string name = failing == &app ? "annal" : "annal " + failing->get_name();
  std::string usage = CLI::Formatter().make_usage(failing, name);
  // make_usage() surrounds the line with newlines.
  auto begin = usage.find_first_not_of('\n');
  auto end = usage.find_last_not_of('\n');
  usage = begin == std::string::npos ? "Usage: " + name : usage.substr(begin, end - begin + 1);
  std::fprintf(stderr, "annal: error: %s\n%s (see --help)\n", message.c_str(), usage.c_str());
  return exit_usage;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("annal: inspect, copy and check annal event stores.", "annal");
  app.footer(std::string("Run 'annal COMMAND --help' for a command's options and examples.\n") +
             exit_codes);
  app.require_subcommand(1);

  std::string store;
  std::string from_store;
  std::string to_store;
  std::string prefix;
  std::optional<std::uint64_t> limit;
  std::optional<std::uint64_t> from;
  std::vector<std::string> types;
  std::string stream;
  bool all = false;
  std::string format = default_format();
  auto formats = CLI::IsMember({"table", "json", "jsonl"});

  auto* info = command(app, "info", "Backend, format version, head, counts, size, time span",
                       "  annal info sqlite:orders.db\n  annal info segment:/var/lib/orders\n");
  info->add_option("STORE", store, store_help)->required();

  auto* streams = command(app, "streams", "List streams with their versions, in id order",
                          "  annal streams sqlite:orders.db --prefix order- --limit 20\n");
  streams->add_option("STORE", store, store_help)->required();
  streams->add_option("--prefix", prefix, "Only streams whose id starts with this");
  add_count_option(*streams, "--limit", limit, 1, "At most this many streams");

  std::string expect_file;
  std::vector<std::string> ignored_prefixes;
  auto* types_command = command(
      app, "types", "List each stored event type and version; check them against a program",
      "  annal types sqlite:orders.db\n"
      "  order-service readable-types > reads.txt && annal types postgres://annal@db/orders \\\n"
      "      --expect reads.txt --ignore mail.\n");
  types_command->add_option("STORE", store, store_help)->required();
  types_command
      ->add_option("--expect", expect_file,
                   "File of the (type, version) pairs a program reads, one 'TYPE VERSION' or "
                   "'TYPE *' a line (annal::readable_types); exit 1 when the store holds others")
      ->check(CLI::ExistingFile);
  types_command->add_option("--ignore", ignored_prefixes,
                            "With --expect: types starting with this are not the program's to "
                            "read; repeat for several");

  auto* read =
      command(app, "read", "Print the events of one stream or of the whole log",
              "  annal read sqlite:orders.db --stream order-42\n"
              "  annal read sqlite:orders.db --all --from 1000 --limit 10 --format table\n"
              "  annal read segment:data --all --type order.paid --format jsonl | jq .payload\n");
  read->add_option("STORE", store, store_help)->required();
  auto* stream_option = read->add_option("--stream", stream, "Read this stream");
  auto* all_flag = read->add_flag("--all", all, "Read the whole log in position order");
  stream_option->excludes(all_flag);
  add_count_option(*read, "--from", from, 1,
                   "First version (--stream) or position (--all) to read; default the first");
  add_count_option(*read, "--limit", limit, 1, "At most this many events");
  read->add_option("--type", types, "Only events of this type; repeat for several")
      ->allow_extra_args(false);
  read->add_option("--format", format,
                   "table, json (indented; the default on a terminal) or jsonl (one export line "
                   "per event; the default otherwise)")
      ->check(formats);

  auto* query_command = command(
      app, "query", "Print the events a query across streams matches (tags and types)",
      "  annal query sqlite:orders.db --tag course:c1\n"
      "  annal query sqlite:orders.db --type student.enrolled --tag course:c1 --format table\n"
      "  annal query postgres://me@db/app --item '{\"tags\":[\"student:s1\"]}' \\\n"
      "      --item '{\"types\":[\"course.defined\"],\"tags\":[\"course:c1\"]}' --after 1000\n");
  query_command->add_option("STORE", store, store_help)->required();
  std::vector<std::string> items;
  std::vector<std::string> tags;
  bool every_event = false;
  query_command
      ->add_option("--item", items,
                   "One item of the query, a JSON object {\"types\":[...],\"tags\":[...]}: an "
                   "event matches an item when its type is one of the types (any when none) and "
                   "it carries every tag; items are OR'd; repeat for several")
      ->allow_extra_args(false);
  query_command->add_option("--type", types, "With --tag: one more item; repeat for several")
      ->allow_extra_args(false);
  query_command
      ->add_option("--tag", tags,
                   "With --type: one more item; the events carry every tag given; stream:ID is "
                   "the implicit tag of stream ID's events")
      ->allow_extra_args(false);
  query_command->add_flag("--all", every_event, "Every event (no items)");
  std::optional<std::uint64_t> after;
  add_count_option(*query_command, "--after", after, 0,
                   "Only events after this position; default 0, the whole log");
  add_count_option(*query_command, "--limit", limit, 1, "At most this many events");
  query_command->add_option("--format", format, "table, json or jsonl, as for read")
      ->check(formats);

  auto* tail = command(app, "tail", "Print new events as they are appended, until Ctrl-C",
                       "  annal tail sqlite:orders.db\n"
                       "  annal tail sqlite:orders.db --type order.paid --format table\n");
  tail->add_option("STORE", store, store_help)->required();
  tail->add_option("--type", types, "Only events of this type; repeat for several")
      ->allow_extra_args(false);
  add_count_option(*tail, "--from", from, 1,
                   "Start at this position; default after the current head");
  tail->add_option("--format", format, "table, json or jsonl, as for read")->check(formats);

  auto* export_command =
      command(app, "export", "Write the log as JSON lines to standard output",
              "  annal export sqlite:orders.db > orders.jsonl\n"
              "  annal export segment:data --from 5001 | gzip > tail.jsonl.gz\n");
  export_command->add_option("STORE", store, store_help)->required();
  add_count_option(*export_command, "--from", from, 1, "First position to export; default 1");

  auto* import_command =
      command(app, "import", "Append exported events from standard input, keeping every field",
              "  annal import segment:copy < orders.jsonl\n"
              "  annal export sqlite:a.db | annal import segment:b\n");
  import_command->add_option("STORE", store, "Store URI, created if missing: " + uri_forms)
      ->required();

  auto* migrate =
      command(app, "migrate", "Copy a whole store into another, resuming where the target ends",
              "  annal migrate sqlite:orders.db segment:/var/lib/orders\n");
  migrate->add_option("FROM", from_store, "Source store URI: " + uri_forms)->required();
  migrate->add_option("TO", to_store, "Target store URI, created if missing: " + uri_forms)
      ->required();

  auto* verify = command(app, "verify", "Check every checksum, index, position and version",
                         "  annal verify segment:/var/lib/orders\n"
                         "  annal verify sqlite:orders.db && echo clean\n"
                         "  annal verify sqlite:orders.db --chain\n");
  verify->add_option("STORE", store, store_help)->required();
  std::string checkpoint_file;
  std::string key_file;
  verify->add_option("--checkpoint", checkpoint_file,
                     "Instead, check the log against a checkpoint `annal checkpoint` signed");
  verify->add_option("--key", key_file, "The verifier key of --checkpoint (NAME.pub)");
  bool chain = false;
  verify->add_flag("--chain", chain,
                   "Instead, check the hash chain stored with every batch (opens the store)");

  bool hard = false;
  std::optional<std::uint64_t> expected;
  std::string reason;
  auto* delete_command =
      command(app, "delete",
              "Delete a stream: it reads as empty (or, with --hard, refuses appends forever)",
              "  annal delete sqlite:orders.db order-42 --reason 'customer asked'\n"
              "  annal delete segment:data order-42 --hard --expected-version 7\n");
  delete_command->add_option("STORE", store, store_help)->required();
  delete_command->add_option("STREAM", stream, "The stream to delete")->required();
  delete_command->add_flag("--hard", hard,
                           "Write a tombstone: the stream can never be appended to again");
  add_count_option(*delete_command, "--expected-version", expected, 0,
                   "Delete only if the stream is at this version");
  delete_command->add_option("--reason", reason, "Recorded in the deletion event");

  metadata_change change;
  auto* truncate = command(app, "truncate", "Hide a stream's events before a version from reads",
                           "  annal truncate sqlite:orders.db order-42 --before 100\n");
  truncate->add_option("STORE", store, store_help)->required();
  truncate->add_option("STREAM", stream, "The stream to truncate")->required();
  add_count_option(*truncate, "--before", change.truncate_before, 1,
                   "The first version reads keep showing (at most the stream's version + 1)")
      ->required();

  auto* metadata = command(
      app, "metadata", "Show a stream's version, retention settings and deletions, or set them",
      "  annal metadata sqlite:orders.db order-42\n"
      "  annal metadata segment:data sensor-7 --max-count 1000 --max-age 86400\n"
      "  annal metadata segment:data sensor-7 --clear\n");
  metadata->add_option("STORE", store, store_help)->required();
  metadata->add_option("STREAM", stream, "The stream")->required();
  add_count_option(*metadata, "--truncate-before", change.truncate_before, 0,
                   "Hide the events before this version");
  add_count_option(*metadata, "--max-count", change.max_count, 1,
                   "Keep only the last this many events visible");
  add_count_option(*metadata, "--max-age", change.max_age_seconds, 1,
                   "Hide events recorded more than this many seconds ago");
  metadata->add_flag("--clear", change.clear,
                     "Remove every setting first (then apply the options given)");

  std::string subject;
  auto* forget = command(app, "forget",
                         "Crypto-shredding: destroy a subject's key, so its personal fields read "
                         "as erased everywhere",
                         "  annal forget sqlite:orders.db customer-42\n");
  forget->add_option("STORE", store, store_help)->required();
  forget->add_option("SUBJECT", subject, "The subject (event_metadata::subject) to forget")
      ->required();

  bool dry_run = false;
  auto* scavenge = command(app, "scavenge",
                           "Erase the events that deletions, truncations, max count and max age "
                           "hide (SQLite, PostgreSQL)",
                           "  annal scavenge sqlite:orders.db --dry-run\n"
                           "  annal scavenge postgres://annal@db/orders\n");
  scavenge->add_option("STORE", store, store_help)->required();
  scavenge->add_flag("--dry-run", dry_run, "Count what would be erased; erase nothing");

  std::string key_name;
  auto* keygen = command(app, "keygen", "Make an Ed25519 key that signs checkpoints",
                         "  annal keygen auditor   # writes auditor.key and auditor.pub\n");
  keygen
      ->add_option("NAME", key_name,
                   "The key's name, as verifiers know it; a path puts the files elsewhere")
      ->required();
  auto* checkpoint =
      command(app, "checkpoint", "Print a signed checkpoint of the log: its size and Merkle root",
              "  annal checkpoint sqlite:orders.db --key auditor.key > cp.txt\n"
              "  annal checkpoint sqlite:orders.db --key store.key --keep\n");
  checkpoint->add_option("STORE", store, store_help)->required();
  checkpoint->add_option("--key", key_file, "The signer key (NAME.key)")->required();
  bool keep = false;
  checkpoint->add_flag(
      "--keep", keep, "Also keep it in the log's $checkpoints stream, as a checkpoint_keeper does");
  std::optional<std::uint64_t> note_position;
  auto* checkpoints = command(app, "checkpoints", "List the checkpoints kept in the log",
                              "  annal checkpoints sqlite:orders.db --key store.pub\n"
                              "  annal checkpoints sqlite:orders.db --note 4711 > cp.txt\n");
  checkpoints->add_option("STORE", store, store_help)->required();
  checkpoints->add_option("--key", key_file,
                          "Check each one's signature and root against the log with this verifier "
                          "key (NAME.pub)");
  add_count_option(*checkpoints, "--note", note_position, 1,
                   "Print only the signed note of the checkpoint kept at this position");
  std::string older_file;
  std::string newer_file;
  auto* consistency = command(
      app, "consistency",
      "Print the proof that the log of a newer signed checkpoint begins with an older one's",
      "  annal consistency sqlite:orders.db --from old.txt --to new.txt --key auditor.pub "
      "> consistency.json\n"
      "  annal-proof-check consistency.json auditor.pub\n");
  consistency->add_option("STORE", store, store_help)->required();
  consistency->add_option("--from", older_file, "The older signed checkpoint")->required();
  consistency->add_option("--to", newer_file, "The newer signed checkpoint")->required();
  consistency->add_option("--key", key_file, "Their verifier key (NAME.pub)")->required();
  std::uint64_t position = 0;
  auto* proof =
      command(app, "proof", "Print the proof that an event is in the log as of a signed checkpoint",
              "  annal proof sqlite:orders.db 42 --checkpoint cp.txt --key "
              "auditor.pub > proof.json\n"
              "  annal-proof-check proof.json auditor.pub\n");
  proof->add_option("STORE", store, store_help)->required();
  proof->add_option("POSITION", position, "The event's position")->required();
  proof->add_option("--checkpoint", checkpoint_file, "The signed checkpoint")->required();
  proof->add_option("--key", key_file, "Its verifier key (NAME.pub)")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_failure(app, without_passwords(e.what(), argc, argv));
  }

  try {
    if (*info) return run_info(store);
    if (*streams) return run_streams(store, prefix, limit);
    if (*types_command) {
      if (!ignored_prefixes.empty() && expect_file.empty()) {
        throw usage_error("--ignore needs --expect FILE");
      }
      return run_types(store, expect_file, ignored_prefixes);
    }
    if (*read) {
      if (stream.empty() && !all) throw usage_error("read needs --stream STREAM or --all");
      read_request request{store, {}, from.value_or(0), limit, types, parse_format(format)};
      if (!stream.empty()) request.stream = stream;
      return run_read(request);
    }
    if (*query_command) {
      query_request request{
          store, items, types, tags, every_event, after.value_or(0), limit, parse_format(format)};
      if (every_event && (!items.empty() || !types.empty() || !tags.empty())) {
        throw usage_error("--all matches every event: give it without --item, --type or --tag");
      }
      return run_query(request);
    }
    if (*tail) return run_tail(store, types, from.value_or(0), parse_format(format));
    if (*export_command) return run_export(store, from.value_or(1));
    if (*import_command) return run_import(store);
    if (*migrate) return run_migrate(from_store, to_store);
    if (*verify) {
      if (checkpoint_file.empty() != key_file.empty()) {
        throw usage_error("--checkpoint and --key go together");
      }
      if (chain && !checkpoint_file.empty()) {
        throw usage_error("--chain and --checkpoint are separate checks: run them one at a time");
      }
      if (chain) return run_verify_chain(store);
      return checkpoint_file.empty() ? run_verify(store)
                                     : run_verify_checkpoint(store, checkpoint_file, key_file);
    }
    if (*keygen) return run_keygen(key_name);
    if (*checkpoint) return run_checkpoint(store, key_file, keep);
    if (*checkpoints) return run_checkpoints(store, key_file, note_position);
    if (*consistency) return run_consistency(store, older_file, newer_file, key_file);
    if (*proof) return run_proof(store, position, checkpoint_file, key_file);
    if (*scavenge) return run_scavenge(store, dry_run);
    if (*delete_command) return run_delete(store, stream, hard, expected, reason);
    if (*forget) return run_forget(store, subject);
    if (*truncate) return run_set_metadata(store, stream, change);
    if (*metadata) {
      bool changes =
          change.clear || change.truncate_before || change.max_count || change.max_age_seconds;
      return changes ? run_set_metadata(store, stream, change) : run_show_metadata(store, stream);
    }
  } catch (const usage_error& e) {
    return usage_failure(app, without_passwords(e.what(), argc, argv));
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::string message = without_passwords(std::string(message_of(e)), argc, argv);
    std::fprintf(stderr, "annal: error: %s\n", message.c_str());
    return exit_failure;
  }
  return exit_usage;
}
