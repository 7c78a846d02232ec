// The runner's own tables in a read-model database: builds, their tables, checkpoints, dead
// letters.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "annal/projection.hpp"
#include "annal/projection_runner.hpp"
#include "core/read_model_db.hpp"

namespace annal::projection_detail {

/// Where a checkpoint was taken: the identity of the store (event_store::store_id()) and the id
/// of its event at the checkpoint position ("" at position 0), both as canonical text. Both are
/// "" in builds recorded before annal kept them.
struct checkpoint_origin {
  std::string store_id;
  std::string event_id;
};

/// One build of a projection: a set of physical tables (none for a sink) and a checkpoint.
/// The current build is what readers see; a shadow build is a rebuild in progress.
struct build_record {
  std::int64_t build = 0;
  int version = 0;
  bool current = false;
  std::uint64_t checkpoint = 0;
  /// The checkpoint the build started from.
  std::uint64_t start = 0;
  /// Where the checkpoint was taken, written with it.
  checkpoint_origin origin;
  table_map tables;
};

/// Opens a read-model database (a SQLite file or a postgres:// URI) for writing, with the
/// registry tables created when missing, and migrated when made by an older annal.
std::unique_ptr<read_model_db> open_read_model(const std::string& path);

/// The builds of a projection: the current one and the shadow one, either may be missing.
struct builds {
  std::optional<build_record> current;
  std::optional<build_record> shadow;
};
builds load_builds(read_model_db& db, std::string_view name);

/// Registers a new build of `p` starting after `start` (taken at `origin`), creates its tables
/// with p.create_tables, and, for a current build, points the views at them. Call inside a
/// transaction.
build_record create_build(read_model_db& db, const projection& p, bool current, std::uint64_t start,
                          const checkpoint_origin& origin);

/// Drops a build's tables and forgets it. Call inside a transaction.
void drop_build(read_model_db& db, std::string_view name, const build_record& b);

/// Makes `shadow` current: the views of its base names point at its tables, `old` (when set)
/// is dropped. Call inside a transaction.
void swap_in(read_model_db& db, std::string_view name, const build_record* old,
             const build_record& shadow);

/// Moves a build's checkpoint, with its origin (and its version, for a sink starting over).
void set_checkpoint(read_model_db& db, std::string_view name, const build_record& b);

/// Moves a build's checkpoint to `to`, taken at `origin`, but only from the checkpoint the
/// caller last saw: two runners on one read model cannot both apply a batch.
/// Throws annal::io_error (EBUSY) when the stored checkpoint is not `from`: another runner moved
/// it (the caller's transaction must then roll back).
void advance_checkpoint(read_model_db& db, std::string_view name, std::int64_t build,
                        std::uint64_t from, std::uint64_t to, const checkpoint_origin& origin);

/// Records a dead letter. Call inside a transaction.
void record_dead_letter(read_model_db& db, const dead_letter& letter);
std::vector<dead_letter> read_dead_letters(read_model_db& db, std::string_view name);
std::uint64_t count_dead_letters(read_model_db& db, std::string_view name);

/// The physical table behind `base` in the current build of `projection`, or "".
std::string current_table(read_model_db& db, std::string_view projection, std::string_view base);

}  // namespace annal::projection_detail
