// The PostgreSQL backend's writer: one connection, one transaction per group of appends.
#pragma once

#include <chrono>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "annal/event.hpp"
#include "annal/event_store.hpp"
#include "annal/expected_version.hpp"
#include "core/sha256.hpp"
#include "core/store_hooks.hpp"

namespace annal::pg {

/// One append waiting in the store's queue, and its outcome once its group committed.
struct pending_append {
  std::string_view stream_id;
  expected_version expected;
  std::span<const event_data> events;
  // The append's condition (annal::append_condition), or null for none.
  const append_condition* condition = nullptr;
  std::vector<std::string> metadata;
  // The events' content digests, computed before the append queues (core/batch_chain.hpp).
  std::vector<detail::sha256_digest> contents;
  append_result result;
  std::exception_ptr error;
  bool done = false;
};

/// The one connection of a store that writes. Each group of appends is one transaction that
/// takes the head row's lock (docs/postgres.md, "Order"), decides every append by the append
/// rule of core (a condition checked by statements issued after the lock is granted, which see
/// every committed event, and against the group's earlier appends), copies the rows in and
/// commits; a lost connection is replaced on the next call.
/// Thread-safe (calls are serialised); `hooks` must outlive it.
class append_writer {
 public:
  append_writer(std::string conninfo, const std::string& schema,
                std::chrono::milliseconds stuck_timeout, const detail::store_hooks& hooks);
  ~append_writer();
  append_writer(const append_writer&) = delete;
  append_writer& operator=(const append_writer&) = delete;

  /// Commits `group` in one transaction, giving each append its result or error. When the
  /// transaction fails (a payload the server refuses, a lost connection), each append is tried
  /// again alone, so one bad append fails only itself.
  void commit(std::span<pending_append* const> group);
  /// append_recorded() of `events` with their encoded metadata. Throws as it documents.
  append_result commit_recorded(std::span<const recorded_event> events,
                                const std::vector<std::string>& metadata);
  /// Replaces the store's identity in `identity_table`, in a transaction that holds the head
  /// row's lock and finds the log empty. Throws annal::invalid_argument otherwise.
  void adopt_store_id(const uuid& id, const std::string& identity_table);
  /// Erases the events (event_store::do_erase_events), their tags with them, all in one
  /// transaction that holds the head row's lock. Throws annal::io_error.
  void erase_events(std::span<const event_erasure> erasures);
  /// Drops the connection.
  void close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace annal::pg
