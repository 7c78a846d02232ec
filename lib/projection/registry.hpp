// The runner's own tables in a read-model database: builds, their tables, checkpoints, dead
// letters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "annal/projection.hpp"
#include "annal/projection_runner.hpp"
#include "projection/sql_session.hpp"
#include "sqlite/connection.hpp"

namespace annal::projection_detail {

/// One build of a projection: a set of physical tables (none for a sink) and a checkpoint.
/// The current build is what readers see; a shadow build is a rebuild in progress.
struct build_record {
  std::int64_t build = 0;
  int version = 0;
  bool current = false;
  std::uint64_t checkpoint = 0;
  /// The checkpoint the build started from.
  std::uint64_t start = 0;
  table_map tables;
};

/// Opens a read-model database for writing: WAL, synchronous=NORMAL (a commit survives a
/// process crash; a power cut may lose the last commits, never half of one), the registry
/// tables created when missing.
sqlite::connection open_read_model(const std::string& path);

/// The builds of a projection: the current one and the shadow one, either may be missing.
struct builds {
  std::optional<build_record> current;
  std::optional<build_record> shadow;
};
builds load_builds(sqlite::connection& c, std::string_view name);

/// Registers a new build of `p` starting after `start`, creates its tables with p.create_tables,
/// and, for a current build, points the views at them. Call inside a transaction.
build_record create_build(sqlite::connection& c, const projection& p, bool current,
                          std::uint64_t start);

/// Drops a build's tables and forgets it. Call inside a transaction.
void drop_build(sqlite::connection& c, std::string_view name, const build_record& b);

/// Makes `shadow` current: the views of its base names point at its tables, `old` (when set)
/// is dropped. Call inside a transaction.
void swap_in(sqlite::connection& c, std::string_view name, const build_record* old,
             const build_record& shadow);

/// Moves a build's checkpoint (and its version, for a sink starting over).
void set_checkpoint(sqlite::connection& c, std::string_view name, const build_record& b);

/// Records a dead letter. Call inside a transaction.
void record_dead_letter(sqlite::connection& c, const dead_letter& letter);
std::vector<dead_letter> read_dead_letters(sqlite::connection& c, std::string_view name);
std::uint64_t count_dead_letters(sqlite::connection& c, std::string_view name);

/// Writes a build's checkpoint with a statement prepared once.
class checkpoint_writer {
 public:
  explicit checkpoint_writer(sqlite::connection& c);
  void write(std::string_view name, std::int64_t build, std::uint64_t checkpoint);

 private:
  sqlite::statement update_;
};

}  // namespace annal::projection_detail
