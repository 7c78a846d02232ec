// Opening a store by URI: the one entry point that knows every backend.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "annal/event_store.hpp"
#include "annal/export.hpp"

namespace annal {

/// When the segment backend acknowledges an append.
enum class durability_mode {
  /// Acknowledged means on disk: the writer calls fdatasync before acknowledging (the default).
  sync_each_batch,
  /// Acknowledged means handed to the operating system: a process crash loses nothing, a power
  /// cut or kernel crash loses what was appended since the last sync (segment roll or close).
  os_buffered,
};

/// Settings of a store. Each backend reads the ones that concern it.
struct store_options {
  /// How often wait_for() looks for appends made by other processes. Appends through the same
  /// store object wake waiters at once regardless.
  std::chrono::milliseconds poll_interval{50};
  /// Page cache of the SQLite backend, in MiB per connection.
  int sqlite_cache_mib = 64;
  /// SQLite backend: how long an append or read waits for a lock held by another connection
  /// (another process writing, or a checkpoint) before it fails with annal::io_error (EBUSY).
  std::chrono::milliseconds sqlite_busy_timeout{10000};
  /// The largest payload an append accepts, in bytes, from 1 to annal::max_payload_size (the
  /// default). A larger payload is refused with annal::invalid_argument naming the limit.
  std::size_t max_payload_size = annal::max_payload_size;
  /// Segment backend: when an append is acknowledged.
  durability_mode durability = durability_mode::sync_each_batch;
  /// Segment backend: a segment is sealed and a new one started once it reaches this size.
  std::uint64_t segment_size = 64u << 20;
  /// Segment backend: when damage is found before the tail of the log, cut the log there
  /// (losing everything after it) instead of refusing to open. Off by default.
  bool repair_by_truncation = false;
  /// Segment backend, retention (docs/lifecycle.md): a sealed segment whose newest event is
  /// older than this leaves the store's directory. Zero (the default) keeps segments forever.
  std::chrono::seconds segment_retention_age{0};
  /// Segment backend, retention: while the store's segments take more than this many bytes, the
  /// oldest sealed segment leaves the store's directory. Zero (the default): no limit.
  std::uint64_t segment_retention_bytes = 0;
  /// Segment backend, retention: the directory where segments that leave the store's directory
  /// go. The store still reads them there, so the log keeps every event; it must be given at
  /// every open once used. Empty (the default): such segments are deleted, and the log then
  /// starts at the first position left.
  std::string segment_archive_dir;
  /// Receives warnings, such as a torn tail truncated at open. When empty, warnings go to
  /// standard error. Called from the thread that caused the warning.
  std::function<void(const std::string&)> on_warning;
  /// PostgreSQL backend: the schema that holds the store's tables, created when missing. Several
  /// stores can share one database in schemas of their own.
  std::string postgres_schema = "annal";
  /// PostgreSQL backend: appends of every process queue behind the one whose transaction is
  /// open, so the server ends an append session that stays idle inside its transaction this long
  /// (a frozen or paused process), rolling it back and letting the others go on.
  std::chrono::milliseconds postgres_stuck_writer_timeout{10000};
};

/// Opens (creating when missing) the store a URI names:
/// - `sqlite:PATH`: the embedded SQLite backend in the file PATH (relative or absolute).
/// - `segment:DIR`: the native segment backend in the directory DIR. Only one store object in
///   one process can have a segment directory open at a time.
/// - `postgres://USER@HOST:PORT/DB` (or `postgresql://`): the PostgreSQL backend, on a server
///   shared by any number of processes (docs/postgres.md). Query parameters other than annal's
///   own options go to libpq (`sslmode=require`, `connect_timeout=5`, ...); `schema=NAME` picks
///   the schema of the store's tables (default `annal`).
///
/// Options may follow a `?`, separated by `&`, and override `options`:
/// `segment_size=BYTES`, `durability=sync_each_batch|os_buffered`, `repair_by_truncation=true`,
/// `retention_age_s=SECONDS`, `retention_bytes=BYTES`, `archive_dir=PATH`,
/// `poll_interval_ms=N`, `sqlite_cache_mib=N`, `sqlite_busy_timeout_ms=N`, `max_payload_size=N`,
/// and for PostgreSQL `schema=NAME`, `stuck_writer_timeout_ms=N`.
/// For example `segment:/var/lib/app?durability=os_buffered`.
///
/// Throws annal::invalid_argument for a malformed URI or an unknown scheme,
/// annal::unsupported_format_version for a store written by a newer annal,
/// annal::invalid_argument for a max_payload_size of 0 or above annal::max_payload_size,
/// annal::corruption for a file or directory that is not an annal store, annal::io_error when
/// the file cannot be opened or created or a segment directory is locked by another store. The
/// returned store is thread-safe.
ANNAL_EXPORT std::unique_ptr<event_store> open_store(std::string_view uri,
                                                     const store_options& options = {});

/// `uri` with every password replaced by `***`: the one in a `postgres://USER:PASSWORD@HOST`
/// authority and the value of a `password=` query parameter. Other URIs are returned as they
/// are. Use it wherever a store URI is printed or logged. Pure; never throws but std::bad_alloc.
ANNAL_EXPORT std::string redact_uri(std::string_view uri);

/// `text` (an error message, a log line) with every password that `uri` holds, as redact_uri()
/// finds them, replaced by `***` wherever it occurs, also on its own and percent-decoded: libpq's
/// messages about a malformed URI echo the URI or the offending part of it. A very short password
/// may hide unrelated letters too; nothing of it is printed either way. Text that does not
/// contain a password of `uri` is returned as it is. Pure; never throws but std::bad_alloc.
ANNAL_EXPORT std::string redact_passwords(std::string_view text, std::string_view uri);

}  // namespace annal
