// Opens the backend under test in a temporary directory, for the conformance suite.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "annal/event_store.hpp"
#include "annal/open_store.hpp"
#include "core/store_hooks.hpp"
#include "support/temp_dir.hpp"

namespace annal::test {

/// The backend the conformance suite runs against: the URI scheme in the environment variable
/// ANNAL_TEST_BACKEND ("sqlite" when unset). ANNAL_TEST_URI_OPTIONS, when set, is appended to
/// the URI after a '?' (e.g. "segment_size=4096").
std::string backend_under_test();

/// The PostgreSQL server of the tests: ANNAL_TEST_POSTGRES (`./run test` starts a private one).
/// Throws std::runtime_error saying how to set it when it is unset.
std::string postgres_server();

/// Drops the schema of the PostgreSQL store `uri` names, if it exists; never throws.
void drop_postgres_schema(const std::string& uri);

/// For a process the test will kill: `uri` with the PostgreSQL sessions it opens named `name`
/// (their application_name; letters, digits and hyphens), so that wait_for_sessions_to_end() can
/// find them. Other URIs are returned unchanged.
std::string with_session_name(const std::string& uri, const std::string& name);

/// PostgreSQL: returns once the server has no session named `name` left. A client killed with its
/// COMMIT already sent still commits on the server, after the client is gone; once its session
/// has ended, what it wrote is settled. Other backends return at once (a dead process writes
/// nothing more). Throws std::runtime_error after 60 s.
void wait_for_sessions_to_end(const std::string& uri, const std::string& name);

/// The URI of a store of the backend under test inside `dir`, with ANNAL_TEST_URI_OPTIONS. For
/// PostgreSQL: a schema named after `dir` on the server of postgres_server().
std::string backend_uri(const temp_dir& dir);

/// A store of the backend under test in a fresh temporary directory.
class store_fixture {
 public:
  /// `hooks` go into the append path of the store and of every reopen (see commit_gate).
  explicit store_fixture(detail::store_hooks hooks = {});
  /// Closes the store; on PostgreSQL also drops its schema.
  ~store_fixture();
  store_fixture(const store_fixture&) = delete;
  store_fixture& operator=(const store_fixture&) = delete;
  /// The URI of the store; the same for every reopen.
  const std::string& uri() const noexcept { return uri_; }
  /// The open store.
  event_store& store() { return *store_; }
  /// Closes the store and opens it again from its files.
  event_store& reopen();
  /// Opens a second, independent store object on the same storage, with `hooks` in its append
  /// path.
  std::unique_ptr<event_store> open_another(detail::store_hooks hooks = {}) const;

 private:
  temp_dir dir_;
  detail::store_hooks hooks_;
  std::string uri_;
  std::unique_ptr<event_store> store_;
};

/// An event of `type` with a small JSON payload naming `n`.
event_data make_event(std::string type = "test.happened", int n = 0);
/// An event as an earlier release may have stored it: `type` at `type_version`, with `payload`.
event_data stored_event(std::string type, std::uint32_t type_version, std::string payload);
/// `count` such events.
std::vector<event_data> make_events(std::size_t count, std::string type = "test.happened");
/// `count` events whose payloads are about 140 bytes, to fill small segments quickly.
std::vector<event_data> make_padded_events(std::size_t count);

}  // namespace annal::test
