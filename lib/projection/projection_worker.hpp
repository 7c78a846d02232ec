// One projection's thread: reads batches, applies them with the error policy, rebuilds, swaps.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "annal/projection.hpp"
#include "annal/projection_runner.hpp"
#include "projection/page_reader.hpp"
#include "projection/rate_meter.hpp"
#include "projection/registry.hpp"

namespace annal::projection_detail {

/// Runs one projection on its own std::jthread. The public member functions are thread-safe.
class projection_worker {
 public:
  projection_worker(event_store& store, std::string path, projection p,
                    const runner_options& options);
  ~projection_worker();
  projection_worker(const projection_worker&) = delete;
  projection_worker& operator=(const projection_worker&) = delete;

  const projection& definition() const noexcept { return p_; }
  void start();
  void stop();
  void rebuild(std::uint64_t from_position);
  projection_status status() const;
  bool wait_until(std::uint64_t position, std::chrono::milliseconds timeout) const;
  std::vector<dead_letter> dead_letters() const;

 private:
  struct build_state {
    build_record record;
    std::unique_ptr<model_session> session;
    std::unique_ptr<page_reader> reader;
    bool at_end = false;
  };
  struct failure {
    std::size_t index;
    std::string what;
  };
  enum class step_result { idle, progressed, halted };
  struct rebuild_request {
    std::uint64_t from;
    std::promise<void> done;
  };

  void run(std::stop_token stop);
  bool lead(std::unique_ptr<read_model_db>& db, std::stop_token stop);
  void stand_by(read_model_db& db);
  void recover(const std::string& what, std::stop_token stop);
  void answer_request(read_model_db* db, bool last, const std::string& why_not_open = {});
  void run_loop(read_model_db& db, std::stop_token stop);
  /// Once leading: checks the builds' origin, reconciles them with the projection's version,
  /// loads them and publishes where they are.
  void take_up_builds(read_model_db& db);
  // The build life cycle (worker_builds.cpp): origin checks, builds for a new version, rebuilds.
  void check_origin(read_model_db& db);
  void replace_builds(read_model_db& db, builds& b, std::uint64_t start,
                      const checkpoint_origin& origin);
  void reconcile(read_model_db& db);
  void rebuild_now(read_model_db& db, std::uint64_t from_position);
  bool below_checkpoints(std::uint64_t head) const;
  void serve_request(read_model_db& db);
  void load(read_model_db& db);
  build_state make_state(read_model_db& db, build_record record);
  step_result step(read_model_db& db, build_state& b, std::stop_token stop);
  // Applying a page (worker_batches.cpp).
  bool apply_page(read_model_db& db, build_state& b, const page& batch, std::stop_token stop);
  std::optional<failure> run_range(read_model_db& db, build_state& b, const page& batch,
                                   std::size_t begin, std::size_t end, std::uint64_t checkpoint);
  void skip(read_model_db& db, build_state& b, const recorded_event& event,
            const std::string& what);
  void swap(read_model_db& db);
  /// Publishes `state` and the progress; returns the head it read, if it could.
  std::optional<std::uint64_t> publish(projection_state state);
  void note_failure(const recorded_event& event, const std::string& what, int retries);

  event_store& store_;
  std::string path_;
  projection p_;
  runner_options options_;
  read_filter filter_;

  // Owned by the worker thread while it runs.
  std::optional<build_state> current_;
  std::optional<build_state> shadow_;
  bool sink_rebuilding_ = false;
  int recovery_attempts_ = 0;  // failed attempts in a row to run after an infrastructure failure
  std::string store_id_;       // the store's identity, read when the builds are taken up

  std::mutex control_mutex_;  // serialises start, stop and rebuild
  std::jthread thread_;
  bool running_ = false;  // guarded by control_mutex_

  std::mutex request_mutex_;
  std::optional<rebuild_request> request_;  // guarded by request_mutex_
  bool taking_requests_ = false;            // guarded by request_mutex_

  mutable std::mutex status_mutex_;
  mutable std::condition_variable status_changed_;
  projection_status status_;
  rate_meter rate_;
  bool finished_ = true;    // guarded by status_mutex_: the thread is not running
  bool published_ = false;  // guarded by status_mutex_: the thread reported since its start
};

}  // namespace annal::projection_detail
