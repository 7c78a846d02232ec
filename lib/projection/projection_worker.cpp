// The projection thread: leading or standing by, recovering from infrastructure failures, the
// loop over the builds, rebuild requests, the swap, and status.
#include "projection/projection_worker.hpp"

#include <algorithm>
#include <limits>

#include "annal/error.hpp"
#include "projection/worker_support.hpp"

namespace annal::projection_detail {

namespace {

// Wraps the projection's typed preparation, if any, so a failure to prepare becomes a step that
// fails the event when it runs: the error policy then sees it at the right position.
step_maker step_maker_for(const projection& p) {
  const auto* model = std::get_if<read_model_preparer>(&p.handler);
  const auto* sink = std::get_if<sink_preparer>(&p.handler);
  if (model == nullptr && sink == nullptr) return {};
  return [model, sink](const recorded_event& r) -> event_step {
    try {
      if (model != nullptr) return {model->prepare(r), {}};
      return {{}, sink->prepare(r)};
    } catch (...) {
      auto e = std::current_exception();
      return {[e](read_model_transaction&) { std::rethrow_exception(e); },
              [e] { std::rethrow_exception(e); }};
    }
  };
}

}  // namespace

projection_worker::projection_worker(event_store& store, std::string path, projection p,
                                     const runner_options& options)
    : store_(store),
      path_(std::move(path)),
      p_(std::move(p)),
      options_(options),
      filter_{p_.event_types, p_.stream_prefix},
      rate_(options.rate_interval) {
  status_.name = p_.name;
  status_.version = p_.version;
  auto db = open_read_model(path_);
  builds b = load_builds(*db, p_.name);
  if (b.current) status_.serving_checkpoint = status_.checkpoint = b.current->checkpoint;
  if (b.shadow) status_.checkpoint = b.shadow->checkpoint;
  status_.dead_letters = count_dead_letters(*db, p_.name);
}

projection_worker::~projection_worker() { stop(); }

void projection_worker::start() {
  std::lock_guard control(control_mutex_);
  {
    std::lock_guard lock(status_mutex_);
    if (running_ && !finished_ && status_.state != projection_state::failed) return;
  }
  // A failed thread may still be on its way out.
  if (thread_.joinable()) thread_.join();
  std::optional<std::uint64_t> head;
  try {
    head = store_.head_position();
  } catch (const store_closed&) {
    // The thread will fail on it and say so.
  }
  {
    std::lock_guard lock(status_mutex_);
    if (head) status_.head = *head;
    finished_ = false;
    published_ = false;
    // The read model is written only once the lead is taken.
    status_.state = projection_state::standby;
    status_.error.clear();
    status_.retries = 0;
  }
  running_ = true;
  {
    std::lock_guard lock(request_mutex_);
    taking_requests_ = true;
  }
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void projection_worker::stop() {
  std::lock_guard control(control_mutex_);
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  running_ = false;
}

void projection_worker::rebuild(std::uint64_t from_position) {
  std::lock_guard control(control_mutex_);
  std::future<void> done;
  {
    // The thread serves requests until it stops taking them, which it does under this mutex.
    std::lock_guard lock(request_mutex_);
    if (taking_requests_) {
      request_.emplace();
      request_->from = from_position;
      done = request_->done.get_future();
    }
  }
  if (!done.valid()) {
    auto db = open_read_model(path_);
    rebuild_now(*db, from_position);
    builds b = load_builds(*db, p_.name);
    std::lock_guard lock(status_mutex_);
    const auto& in_progress = b.shadow ? b.shadow : b.current;
    status_.checkpoint = in_progress ? in_progress->checkpoint : 0;
    status_.start_position = in_progress ? in_progress->start : 0;
    return;
  }
  done.get();
}

projection_status projection_worker::status() const {
  std::lock_guard lock(status_mutex_);
  projection_status out = status_;
  out.lag = out.head > out.checkpoint ? out.head - out.checkpoint : 0;
  out.serving_lag = out.head > out.serving_checkpoint ? out.head - out.serving_checkpoint : 0;
  out.events_per_second = rate_.per_second(rate_meter::clock::now());
  bool moving =
      out.state == projection_state::catching_up || out.state == projection_state::rebuilding;
  if (moving && out.events_per_second > 0) {
    out.eta_seconds = static_cast<double>(out.lag) / out.events_per_second;
  }
  return out;
}

bool projection_worker::wait_until(std::uint64_t position,
                                   std::chrono::milliseconds timeout) const {
  std::unique_lock lock(status_mutex_);
  bool reached = false;
  status_changed_.wait_for(lock, timeout, [&] {
    if (status_.state == projection_state::failed || status_.state == projection_state::stopped) {
      return true;
    }
    reached = published_ && status_.serving_checkpoint >= position &&
              status_.state != projection_state::rebuilding;
    return reached;
  });
  return reached;
}

std::vector<dead_letter> projection_worker::dead_letters() const {
  auto db = open_read_model(path_);
  return read_dead_letters(*db, p_.name);
}

void projection_worker::run(std::stop_token stop) {
  std::unique_ptr<read_model_db> db;
  recovery_attempts_ = 0;
  try {
    while (!stop.stop_requested()) {
      try {
        if (!lead(db, stop)) break;
        take_up_builds(*db);
        run_loop(*db, stop);
        break;
      } catch (const io_error&) {
        // The database, the store or the lead failed, not an event: drop the connection and the
        // lead with it (nothing of the batch being written is committed), and start again.
        std::string what = describe(std::current_exception());
        current_.reset();
        shadow_.reset();
        db.reset();
        recover(what, stop);
      }
    }
    publish(projection_state::stopped);
  } catch (...) {
    std::string what = describe(std::current_exception());
    std::lock_guard lock(status_mutex_);
    if (status_.state != projection_state::failed) {
      // Not an event's failure: the failed_* fields of an earlier one no longer apply.
      status_.failed_position = 0;
      status_.failed_type.clear();
      status_.failed_stream.clear();
      status_.state = projection_state::failed;
      status_.error = std::move(what);
    }
  }
  current_.reset();
  shadow_.reset();
  answer_request(db.get(), true, "the projection has stopped");
  std::lock_guard lock(status_mutex_);
  finished_ = true;
  status_changed_.notify_all();
}

bool projection_worker::lead(std::unique_ptr<read_model_db>& db, std::stop_token stop) {
  while (!stop.stop_requested()) {
    if (!db) db = open_read_model(path_);
    if (db->try_lead(p_.name)) return true;
    stand_by(*db);
    answer_request(db.get(), false);
    pause_unless_stopped(stop, options_.leader_retry);
  }
  return false;
}

void projection_worker::stand_by(read_model_db& db) {
  std::optional<builds> b;
  try {
    b = load_builds(db, p_.name);
  } catch (const error&) {
    // The leader's progress is unknown for now; the last one seen stands.
  }
  std::optional<std::uint64_t> head;
  try {
    head = store_.head_position();
  } catch (const store_closed&) {
  }
  std::lock_guard lock(status_mutex_);
  if (status_.state == projection_state::failed) return;
  status_.state = projection_state::standby;
  published_ = true;
  if (head) status_.head = *head;
  if (b) {
    status_.serving_checkpoint = b->current ? b->current->checkpoint : 0;
    const auto& in_progress = b->shadow ? b->shadow : b->current;
    status_.checkpoint = in_progress ? in_progress->checkpoint : 0;
    status_.start_position = in_progress ? in_progress->start : 0;
  }
  status_changed_.notify_all();
}

void projection_worker::recover(const std::string& what, std::stop_token stop) {
  auto pause =
      backoff(options_.recovery_backoff, options_.max_recovery_backoff, recovery_attempts_);
  ++recovery_attempts_;
  {
    std::lock_guard lock(status_mutex_);
    status_.state = projection_state::recovering;
    status_.error = what;
    status_.retries = recovery_attempts_;
    published_ = true;
    status_changed_.notify_all();
  }
  answer_request(nullptr, false, "the projection is recovering from: " + what);
  pause_unless_stopped(stop, pause);
}

void projection_worker::answer_request(read_model_db* db, bool last,
                                       const std::string& why_not_open) {
  std::lock_guard lock(request_mutex_);
  if (last) taking_requests_ = false;
  if (!request_) return;
  try {
    if (db == nullptr) throw io_error(0, path_, why_not_open);
    rebuild_now(*db, request_->from);
    request_->done.set_value();
  } catch (...) {
    request_->done.set_exception(std::current_exception());
  }
  request_.reset();
}

void projection_worker::run_loop(read_model_db& db, std::stop_token stop) {
  while (!stop.stop_requested()) {
    serve_request(db);
    bool progressed = false;
    if (shadow_) {
      step_result r = step(db, *shadow_, stop);
      if (r == step_result::halted) return;
      progressed = r == step_result::progressed;
      if (shadow_->at_end) swap(db);
    }
    // A current build of another version is frozen: its handler is gone with the old code.
    if (current_ && current_->record.version == p_.version) {
      step_result r = step(db, *current_, stop);
      if (r == step_result::halted) return;
      progressed = progressed || r == step_result::progressed;
      if (current_->at_end) sink_rebuilding_ = false;
    }
    bool rebuilding = shadow_.has_value() || sink_rebuilding_;
    bool caught_up = (!current_ || current_->at_end) && !shadow_;
    if (recovery_attempts_ != 0 && (progressed || caught_up)) {
      // Working again: the next infrastructure failure starts with the shortest pause.
      recovery_attempts_ = 0;
      std::lock_guard lock(status_mutex_);
      status_.retries = 0;
    }
    auto head = publish(rebuilding  ? projection_state::rebuilding
                        : caught_up ? projection_state::live
                                    : projection_state::catching_up);
    if (head && below_checkpoints(*head)) {
      // The log is shorter than the read model: the store was restored or replaced under the
      // runner. Statements on tables the origin policy may drop go first.
      current_.reset();
      shadow_.reset();
      take_up_builds(db);
      continue;
    }
    if (!progressed) {
      std::uint64_t target = std::numeric_limits<std::uint64_t>::max();
      for (const auto* b : {&current_, &shadow_}) {
        if (*b) target = std::min(target, (*b)->record.checkpoint + 1);
      }
      store_.wait_for(target, options_.idle_wait);
    }
  }
}

void projection_worker::take_up_builds(read_model_db& db) {
  check_origin(db);
  reconcile(db);
  load(db);
  publish(shadow_ || sink_rebuilding_ ? projection_state::rebuilding
                                      : projection_state::catching_up);
}

void projection_worker::serve_request(read_model_db& db) {
  std::lock_guard lock(request_mutex_);
  if (!request_) return;
  try {
    // The builds being replaced may hold prepared statements on the tables they drop.
    current_.reset();
    shadow_.reset();
    rebuild_now(db, request_->from);
    load(db);
    {
      std::lock_guard status_lock(status_mutex_);
      rate_.clear();
    }
    publish(projection_state::rebuilding);
    request_->done.set_value();
  } catch (...) {
    request_->done.set_exception(std::current_exception());
    request_.reset();
    throw;
  }
  request_.reset();
}

void projection_worker::load(read_model_db& db) {
  builds b = load_builds(db, p_.name);
  current_.reset();
  shadow_.reset();
  if (b.current) current_.emplace(make_state(db, std::move(*b.current)));
  if (b.shadow) shadow_.emplace(make_state(db, std::move(*b.shadow)));
  std::lock_guard lock(status_mutex_);
  status_.dead_letters = count_dead_letters(db, p_.name);
}

projection_worker::build_state projection_worker::make_state(read_model_db& db,
                                                             build_record record) {
  build_state s;
  if (p_.is_read_model()) s.session = db.session(record.tables);
  s.reader = std::make_unique<page_reader>(store_, filter_, options_.batch_size,
                                           record.checkpoint + 1, step_maker_for(p_));
  s.record = std::move(record);
  return s;
}

projection_worker::step_result projection_worker::step(read_model_db& db, build_state& b,
                                                       std::stop_token stop) {
  page next = b.reader->next();
  b.at_end = next.slice.end_of_log;
  if (next.slice.events.empty() && next.slice.next_position <= b.record.checkpoint + 1) {
    return step_result::idle;
  }
  return apply_page(db, b, next, stop) ? step_result::progressed : step_result::halted;
}

void projection_worker::swap(read_model_db& db) {
  // Statements prepared on the tables about to be dropped go first.
  if (current_) current_->session.reset();
  db_transaction tx(db);
  db.check_lead();
  swap_in(db, p_.name, current_ ? &current_->record : nullptr, shadow_->record);
  tx.commit();
  current_ = std::move(shadow_);
  current_->record.current = true;
  shadow_.reset();
}

bool projection_worker::below_checkpoints(std::uint64_t head) const {
  return (current_ && current_->record.checkpoint > head) ||
         (shadow_ && shadow_->record.checkpoint > head);
}

std::optional<std::uint64_t> projection_worker::publish(projection_state state) {
  std::optional<std::uint64_t> head;
  try {
    head = store_.head_position();
  } catch (const store_closed&) {
    // Stopping after the store was closed: the last head seen stands.
  }
  std::lock_guard lock(status_mutex_);
  if (status_.state == projection_state::failed && state != projection_state::failed) return head;
  status_.state = state;
  published_ = true;
  if (head) status_.head = *head;
  status_.serving_checkpoint = current_ ? current_->record.checkpoint : 0;
  const auto& in_progress = shadow_ ? shadow_ : current_;
  if (in_progress) {
    status_.checkpoint = in_progress->record.checkpoint;
    status_.start_position = in_progress->record.start;
    rate_.sample(rate_meter::clock::now(), status_.checkpoint);
  }
  status_changed_.notify_all();
  return head;
}

}  // namespace annal::projection_detail
