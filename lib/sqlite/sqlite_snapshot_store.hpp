// The SQLite backend's snapshot store: the snapshots table, through a connection of its own.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "annal/snapshot_store.hpp"
#include "sqlite/connection.hpp"

namespace annal {

/// Snapshots in the `snapshots` table of the store's database file (docs/storage-format.md).
///
/// Uses a connection of its own behind a mutex of its own, so a snapshot call never waits for
/// the event store's writer mutex and an append never waits for a snapshot call's mutex. Both
/// connections share SQLite's one write lock on the file, which a save holds only for its short
/// transaction (other writers wait for it through the busy timeout).
///
/// Thread-safe: calls are serialised by the mutex. Every function throws as
/// annal::snapshot_store documents; a row that is not a valid snapshot throws annal::corruption.
class sqlite_snapshot_store final : public snapshot_store {
 public:
  /// Opens a connection to the database at `path`, whose schema open_schema() already checked
  /// (so the table exists). Throws annal::io_error when the database cannot be opened.
  explicit sqlite_snapshot_store(const std::string& path);
  ~sqlite_snapshot_store() override;
  sqlite_snapshot_store(const sqlite_snapshot_store&) = delete;
  sqlite_snapshot_store& operator=(const sqlite_snapshot_store&) = delete;

  void save(const snapshot& s, std::size_t keep) override;
  snapshot_lookup load(std::string_view stream_id, std::uint64_t fingerprint,
                       std::uint64_t max_version, std::uint64_t max_position) override;
  std::size_t drop_type(std::string_view aggregate_type) override;
  std::size_t count() override;

 private:
  struct statements;

  std::mutex mutex_;
  std::unique_ptr<statements> db_;
};

}  // namespace annal
