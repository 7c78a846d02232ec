// A "full disk" for SQLite files: a page limit every new connection gets (PRAGMA max_page_count).
#pragma once

#include <string>

namespace annal::test {

/// While it lives, every SQLite connection opened in this process (annal's own included) gets
/// `PRAGMA max_page_count = pages`, through an auto-extension: writes that would grow the
/// database beyond that many pages fail with SQLITE_FULL, as on a full disk. With `only_file`
/// set, only connections to that file get the limit. Connections opened before keep theirs.
/// One instance at a time per process; not thread-safe against itself, but the connections it
/// limits may be opened on any thread.
class sqlite_disk_limit {
 public:
  explicit sqlite_disk_limit(int pages, std::string only_file = {});
  /// Removes the limit for connections opened from now on.
  ~sqlite_disk_limit();
  sqlite_disk_limit(const sqlite_disk_limit&) = delete;
  sqlite_disk_limit& operator=(const sqlite_disk_limit&) = delete;

  /// Makes room: connections opened from now on get no limit (space is back).
  void lift();
};

}  // namespace annal::test
