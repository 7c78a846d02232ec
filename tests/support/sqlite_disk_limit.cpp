// The SQLite page limit of tests that simulate a full disk.
#include "support/sqlite_disk_limit.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <mutex>
#include <system_error>

namespace annal::test {

namespace {

// SQLite calls the auto-extension on the thread opening a connection, so the settings it reads
// are guarded.
std::mutex settings_mutex;
int page_limit = 0;  // 0: no limit
std::string limited_file;

int apply_page_limit(sqlite3* db, char**, const sqlite3_api_routines*) {
  int pages = 0;
  std::string only;
  {
    std::lock_guard lock(settings_mutex);
    pages = page_limit;
    only = limited_file;
  }
  if (pages == 0) return SQLITE_OK;
  if (!only.empty()) {
    const char* name = sqlite3_db_filename(db, "main");
    std::error_code ignored;
    if (name == nullptr || *name == '\0' || !std::filesystem::equivalent(name, only, ignored)) {
      return SQLITE_OK;
    }
  }
  std::string sql = "PRAGMA max_page_count = " + std::to_string(pages);
  return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
}

}  // namespace

sqlite_disk_limit::sqlite_disk_limit(int pages, std::string only_file) {
  {
    std::lock_guard lock(settings_mutex);
    page_limit = pages;
    limited_file = std::move(only_file);
  }
  // SQLite declares the entry point without parameters; it calls it with these.
  sqlite3_auto_extension(reinterpret_cast<void (*)()>(&apply_page_limit));
}

sqlite_disk_limit::~sqlite_disk_limit() {
  sqlite3_cancel_auto_extension(reinterpret_cast<void (*)()>(&apply_page_limit));
  lift();
}

void sqlite_disk_limit::lift() {
  std::lock_guard lock(settings_mutex);
  page_limit = 0;
  limited_file.clear();
}

}  // namespace annal::test
