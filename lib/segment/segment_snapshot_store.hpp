// The segment backend's snapshot store: one checksummed file per snapshot in DIR/snapshots/.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "annal/snapshot_store.hpp"
#include "io/file_system.hpp"

namespace annal {

/// Snapshots as files in one directory, written and read only through an io::file_system
/// (format in docs/storage-format.md, "Segment backend snapshots").
///
/// Opening reads every file's header into an index in memory; load() reads and checks only the
/// file it returns. A save writes a temporary file, syncs it, renames it into place and syncs
/// the directory; only then are the snapshots beyond `keep` deleted, so a crash leaves the old
/// snapshot or the new one, never a damaged one. Damaged files are never returned: open checks
/// headers and load() the whole file it picks, and a damaged file is removed with a warning
/// (load() then returns the next older matching snapshot).
///
/// Thread-safe: calls are serialised by a mutex. Every function throws as
/// annal::snapshot_store documents; save() also throws annal::invalid_argument for an
/// aggregate type longer than 65535 bytes. A failed save leaves the snapshots stored before it
/// as they were (except, when only the directory sync failed, that the new one is visible).
class segment_snapshot_store final : public snapshot_store {
 public:
  /// Receives warnings about damaged or foreign files; may be empty (standard error then).
  using warning_handler = std::function<void(const std::string&)>;

  /// Opens the snapshots in `dir` (created when missing), removing temporary files left by a
  /// crash and damaged snapshot files. `fs` must outlive this object. Throws annal::io_error
  /// when the directory cannot be created, listed or read.
  segment_snapshot_store(std::string dir, std::shared_ptr<io::file_system> fs,
                         warning_handler on_warning);
  ~segment_snapshot_store() override;
  segment_snapshot_store(const segment_snapshot_store&) = delete;
  segment_snapshot_store& operator=(const segment_snapshot_store&) = delete;

  void save(const snapshot& s, std::size_t keep) override;
  snapshot_lookup load(std::string_view stream_id, std::uint64_t fingerprint,
                       std::uint64_t max_version, std::uint64_t max_position) override;
  std::size_t drop_type(std::string_view aggregate_type) override;
  std::size_t count() override;

 private:
  // What the index knows of one snapshot file: its header without the stream id.
  struct entry {
    std::uint64_t version = 0;
    std::uint64_t fingerprint = 0;
    std::uint64_t position = 0;
    std::int64_t taken_us = 0;
    std::string aggregate_type;
    std::string file_name;
  };

  void open_file(const std::string& name);
  std::string free_name(std::string_view stream_id, std::uint64_t version,
                        std::uint64_t fingerprint) const;
  void write_file(const std::string& name, const std::string& bytes);
  void trim(const std::string& stream_id, const snapshot& saved, std::size_t keep);
  std::optional<snapshot> read_entry(const std::string& stream_id, const entry& e);
  std::string path_of(const std::string& name) const;
  void warn(const std::string& message) const;

  std::string dir_;
  std::shared_ptr<io::file_system> fs_;
  warning_handler on_warning_;

  std::mutex mutex_;
  // Every stream's snapshots, sorted by version.
  std::unordered_map<std::string, std::vector<entry>> streams_;
  // The names a new snapshot file must not take: the indexed files, and files that are there
  // but not indexed (of a newer format, or found damaged since open).
  std::unordered_set<std::string> names_;
};

}  // namespace annal
