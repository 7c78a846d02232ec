// The PostgreSQL backend's snapshot store: the snapshots table, through a connection of its own.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "annal/snapshot_store.hpp"
#include "postgres/connection.hpp"

namespace annal::pg {

/// Snapshots in the `snapshots` table of the store's schema (docs/postgres.md).
///
/// Uses a connection of its own behind a mutex, so snapshot calls never wait for appends;
/// reconnects on the next call when the connection was lost. Thread-safe. Every function throws
/// as annal::snapshot_store documents; a row that is not a valid snapshot throws
/// annal::corruption.
class snapshot_table final : public snapshot_store {
 public:
  /// Connects to `conninfo`; the schema is already open (open_schema()). Throws annal::io_error.
  snapshot_table(std::string conninfo, std::string schema);
  ~snapshot_table() override;

  void save(const snapshot& s, std::size_t keep) override;
  snapshot_lookup load(std::string_view stream_id, std::uint64_t fingerprint,
                       std::uint64_t max_version, std::uint64_t max_position) override;
  std::size_t drop_type(std::string_view aggregate_type) override;
  std::size_t count() override;

 private:
  connection& db();
  // Runs `body` in a transaction opened by `begin`, rolling back when it throws.
  template <class F>
  auto in_transaction(const char* begin, F&& body);

  std::string conninfo_;
  std::string schema_;
  std::string save_sql_, trim_sql_, newest_sql_, mismatched_sql_, drop_sql_, count_sql_;
  std::mutex mutex_;
  std::unique_ptr<connection> db_;
};

}  // namespace annal::pg
