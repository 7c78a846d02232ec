// annal delete, truncate, metadata, scavenge and forget: commands that delete streams, change what
// reads show, and erase what they hide.
#include <fmt/format.h>

#include "annal/event_store.hpp"
#include "annal/store_admin.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "progress.hpp"

namespace annal::cli {
namespace {

expected_version expected_of(std::optional<std::uint64_t> version) {
  return version ? expected_version::exact(*version) : expected_version::any();
}

std::string optional_text(const auto& value, std::string_view unit = "") {
  return value ? fmt::format("{}{}", *value, unit) : std::string("none");
}

}  // namespace

int run_delete(const std::string& uri, const std::string& stream, bool hard,
               std::optional<std::uint64_t> expected, const std::string& reason) {
  auto store = open_existing_store(uri);
  append_result r = store->delete_stream(stream, expected_of(expected),
                                         hard ? deletion::hard : deletion::soft, reason);
  if (!r.written) {
    fmt::print("{} was already deleted (deletion event at position {})\n", stream,
               r.first_position);
  } else {
    fmt::print("{} {} at version {} (position {}){}\n", hard ? "tombstoned" : "deleted", stream,
               r.next_expected_version, r.first_position,
               hard ? "; it refuses every append from now on" : "");
  }
  return exit_ok;
}

int run_forget(const std::string& uri, const std::string& subject) {
  auto store = open_existing_store(uri);
  if (store->forget(subject)) {
    fmt::print("forgot {}: its key is destroyed and its personal fields read as erased\n", subject);
  } else {
    fmt::print(
        "{} has no key (never had personal data, or was forgotten already); it is "
        "recorded as forgotten\n",
        subject);
  }
  return exit_ok;
}

int run_set_metadata(const std::string& uri, const std::string& stream,
                     const metadata_change& change) {
  auto store = open_existing_store(uri);
  stream_state state = store->read_stream_state(stream);
  stream_metadata metadata = change.clear ? stream_metadata{} : state.metadata;
  if (change.truncate_before) metadata.truncate_before = *change.truncate_before;
  if (change.max_count) metadata.max_count = *change.max_count;
  if (change.max_age_seconds) {
    metadata.max_age = std::chrono::seconds(static_cast<std::int64_t>(*change.max_age_seconds));
  }
  std::uint64_t version =
      store->set_stream_metadata(stream, metadata, expected_version::exact(state.metadata_version));
  fmt::print("{}: metadata version {}\n", stream, version);
  return run_show_metadata(uri, stream, store.get());
}

int run_show_metadata(const std::string& uri, const std::string& stream, event_store* open) {
  std::unique_ptr<event_store> owned;
  if (open == nullptr) {
    owned = open_existing_store(uri);
    open = owned.get();
  }
  stream_state s = open->read_stream_state(stream);
  std::string status = s.tombstoned     ? "tombstoned"
                       : s.deleted()    ? "deleted"
                       : s.version == 0 ? "no events"
                                        : "live";
  fmt::print(
      "stream            {}\n"
      "status            {}\n"
      "version           {}\n"
      "first visible     {}\n"
      "truncate before   {}\n"
      "max count         {}\n"
      "max age           {}\n"
      "deleted at        {}\n"
      "metadata version  {}\n",
      stream, status, s.version, s.first_visible_version(), s.metadata.truncate_before,
      optional_text(s.metadata.max_count),
      s.metadata.max_age ? fmt::format("{} s", s.metadata.max_age->count()) : std::string("none"),
      s.deleted_at == 0 ? std::string("never") : fmt::format("version {}", s.deleted_at),
      s.metadata_version);
  return exit_ok;
}

int run_scavenge(const std::string& uri, bool dry_run) {
  auto store = open_existing_store(uri);
  scavenge_options options;
  options.dry_run = dry_run;
  progress bar(dry_run ? "scavenge (dry run)" : "scavenge", 0, "streams");
  options.on_progress = [&](const scavenge_report& r) { bar.update(r.streams_examined); };
  scavenge_report r = scavenge(*store, options);
  bar.finish();
  fmt::print(
      "{} {} events ({} bytes of payload and metadata) in {} streams with metadata{}\n",
      dry_run ? "would erase" : "erased", r.events_erased, r.bytes_erased, r.streams_examined,
      r.events_deferred == 0
          ? ""
          : fmt::format("; {} left in the active segment for a later scavenge", r.events_deferred));
  return exit_ok;
}

}  // namespace annal::cli
