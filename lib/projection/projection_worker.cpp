// The projection thread: batches in one transaction with their checkpoint, error policies,
// rebuilds into shadow tables and the swap.
#include "projection/projection_worker.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "annal/error.hpp"

namespace annal::projection_detail {

namespace {

std::string describe(std::exception_ptr e) {
  try {
    std::rethrow_exception(std::move(e));
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

std::uint64_t start_after(std::uint64_t from_position) {
  return from_position == 0 ? 0 : from_position - 1;
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
  auto c = open_read_model(path_);
  builds b = load_builds(c, p_.name);
  if (b.current) status_.serving_checkpoint = status_.checkpoint = b.current->checkpoint;
  if (b.shadow) status_.checkpoint = b.shadow->checkpoint;
  status_.dead_letters = count_dead_letters(c, p_.name);
}

projection_worker::~projection_worker() { stop(); }

void projection_worker::start() {
  std::lock_guard control(control_mutex_);
  {
    std::lock_guard lock(status_mutex_);
    if (running_ && !finished_) return;
    finished_ = false;
    status_.state = projection_state::catching_up;
    status_.error.clear();
    status_.retries = 0;
  }
  if (thread_.joinable()) thread_.join();
  running_ = true;
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
  bool live_thread;
  {
    std::lock_guard lock(status_mutex_);
    live_thread = running_ && !finished_;
  }
  if (!live_thread) {
    auto c = open_read_model(path_);
    rebuild_now(c, from_position);
    builds b = load_builds(c, p_.name);
    std::lock_guard lock(status_mutex_);
    const auto& in_progress = b.shadow ? b.shadow : b.current;
    status_.checkpoint = in_progress ? in_progress->checkpoint : 0;
    status_.start_position = in_progress ? in_progress->start : 0;
    return;
  }
  std::future<void> done;
  {
    std::lock_guard lock(request_mutex_);
    request_.emplace();
    request_->from = from_position;
    done = request_->done.get_future();
  }
  done.get();
}

projection_status projection_worker::status() const {
  std::lock_guard lock(status_mutex_);
  projection_status out = status_;
  out.lag = out.head > out.checkpoint ? out.head - out.checkpoint : 0;
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
    reached =
        status_.serving_checkpoint >= position && status_.state != projection_state::rebuilding;
    return reached;
  });
  return reached;
}

std::vector<dead_letter> projection_worker::dead_letters() const {
  auto c = open_read_model(path_);
  return read_dead_letters(c, p_.name);
}

void projection_worker::run(std::stop_token stop) {
  std::optional<sqlite::connection> c;
  try {
    c.emplace(open_read_model(path_));
    reconcile(*c);
    checkpoints_.emplace(*c);
    load(*c);
    run_loop(*c, stop);
    publish(projection_state::stopped);
  } catch (...) {
    std::string what = describe(std::current_exception());
    std::lock_guard lock(status_mutex_);
    status_.state = projection_state::failed;
    status_.error = std::move(what);
  }
  {
    std::lock_guard lock(request_mutex_);
    if (request_) {
      try {
        if (!c) throw io_error(0, path_, "the read-model database is not open");
        rebuild_now(*c, request_->from);
        request_->done.set_value();
      } catch (...) {
        request_->done.set_exception(std::current_exception());
      }
      request_.reset();
    }
  }
  current_.reset();
  shadow_.reset();
  checkpoints_.reset();
  std::lock_guard lock(status_mutex_);
  finished_ = true;
  status_changed_.notify_all();
}

void projection_worker::run_loop(sqlite::connection& c, std::stop_token stop) {
  while (!stop.stop_requested()) {
    serve_request(c);
    bool progressed = false;
    if (shadow_) {
      step_result r = step(c, *shadow_, stop);
      if (r == step_result::halted) return;
      progressed = r == step_result::progressed;
      if (shadow_->at_end) swap(c);
    }
    // A current build of another version is frozen: its handler is gone with the old code.
    if (current_ && current_->record.version == p_.version) {
      step_result r = step(c, *current_, stop);
      if (r == step_result::halted) return;
      progressed = progressed || r == step_result::progressed;
      if (current_->at_end) sink_rebuilding_ = false;
    }
    bool rebuilding = shadow_.has_value() || sink_rebuilding_;
    bool caught_up = (!current_ || current_->at_end) && !shadow_;
    publish(rebuilding  ? projection_state::rebuilding
            : caught_up ? projection_state::live
                        : projection_state::catching_up);
    if (!progressed) {
      std::uint64_t target = std::numeric_limits<std::uint64_t>::max();
      for (const auto* b : {&current_, &shadow_}) {
        if (*b) target = std::min(target, (*b)->record.checkpoint + 1);
      }
      store_.wait_for(target, options_.idle_wait);
    }
  }
}

void projection_worker::reconcile(sqlite::connection& c) {
  sqlite::transaction tx(c, sqlite::transaction::mode::immediate);
  builds b = load_builds(c, p_.name);
  if (p_.sink) {
    if (!b.current) {
      create_build(c, p_, true, 0);
    } else if (b.current->version != p_.version) {
      if (p_.reset) p_.reset(1);
      b.current->version = p_.version;
      b.current->checkpoint = b.current->start = 0;
      set_checkpoint(c, p_.name, *b.current);
      sink_rebuilding_ = true;
    }
  } else {
    if (b.shadow && b.shadow->version != p_.version) {
      drop_build(c, p_.name, *b.shadow);
      b.shadow.reset();
    }
    if (!b.current && !b.shadow) {
      create_build(c, p_, true, 0);
    } else if (b.current && b.current->version != p_.version && !b.shadow) {
      create_build(c, p_, false, 0);
    }
  }
  tx.commit();
}

void projection_worker::rebuild_now(sqlite::connection& c, std::uint64_t from_position) {
  std::uint64_t start = start_after(from_position);
  sqlite::transaction tx(c, sqlite::transaction::mode::immediate);
  builds b = load_builds(c, p_.name);
  if (p_.sink) {
    if (p_.reset) p_.reset(start + 1);
    if (b.current) {
      b.current->checkpoint = b.current->start = start;
      b.current->version = p_.version;
      set_checkpoint(c, p_.name, *b.current);
    } else {
      create_build(c, p_, true, start);
    }
    sink_rebuilding_ = true;
  } else {
    if (b.shadow) drop_build(c, p_.name, *b.shadow);
    create_build(c, p_, !b.current, start);
  }
  tx.commit();
}

void projection_worker::serve_request(sqlite::connection& c) {
  std::lock_guard lock(request_mutex_);
  if (!request_) return;
  try {
    // The shadow being replaced may hold prepared statements on the tables it drops.
    shadow_.reset();
    rebuild_now(c, request_->from);
    load(c);
    {
      std::lock_guard status_lock(status_mutex_);
      rate_.clear();
    }
    request_->done.set_value();
  } catch (...) {
    request_->done.set_exception(std::current_exception());
    request_.reset();
    throw;
  }
  request_.reset();
}

void projection_worker::load(sqlite::connection& c) {
  builds b = load_builds(c, p_.name);
  current_.reset();
  shadow_.reset();
  if (b.current) current_.emplace(make_state(c, std::move(*b.current)));
  if (b.shadow) shadow_.emplace(make_state(c, std::move(*b.shadow)));
  std::lock_guard lock(status_mutex_);
  status_.dead_letters = count_dead_letters(c, p_.name);
}

projection_worker::build_state projection_worker::make_state(sqlite::connection& c,
                                                             build_record record) {
  build_state s;
  if (p_.handle) s.session = std::make_unique<sql_session>(c, record.tables);
  s.reader =
      std::make_unique<page_reader>(store_, filter_, options_.batch_size, record.checkpoint + 1);
  s.record = std::move(record);
  return s;
}

projection_worker::step_result projection_worker::step(sqlite::connection& c, build_state& b,
                                                       std::stop_token stop) {
  log_slice slice = b.reader->next();
  b.at_end = slice.end_of_log;
  if (slice.events.empty() && slice.next_position <= b.record.checkpoint + 1) {
    return step_result::idle;
  }
  return apply_slice(c, b, slice, stop) ? step_result::progressed : step_result::halted;
}

bool projection_worker::apply_slice(sqlite::connection& c, build_state& b, const log_slice& slice,
                                    std::stop_token stop) {
  const auto& events = slice.events;
  std::size_t begin = 0;
  int retries = 0;
  std::uint64_t retried_position = 0;
  for (;;) {
    auto failed = run_range(c, b, events, begin, events.size(), slice.next_position - 1);
    if (!failed) break;
    if (p_.handle) {
      // Roll forward to just before the failing event, so its predecessors are not lost. A
      // handler that now fails earlier moves the failure there.
      while (failed->index > begin) {
        auto again =
            run_range(c, b, events, begin, failed->index, events[failed->index].position - 1);
        if (!again) break;
        failed = std::move(again);
      }
    }
    const recorded_event& event = events[failed->index];
    if (event.position != retried_position) retries = 0;
    retried_position = event.position;
    switch (p_.on_error.on_failure) {
      case error_policy::action::stop:
        note_failure(event, failed->what, retries);
        publish(projection_state::failed);
        return false;
      case error_policy::action::retry: {
        if (retries >= p_.on_error.max_retries) {
          note_failure(event, failed->what, retries);
          publish(projection_state::failed);
          return false;
        }
        auto backoff =
            std::min(p_.on_error.max_backoff,
                     p_.on_error.initial_backoff * (std::int64_t{1} << std::min(retries, 20)));
        ++retries;
        note_failure(event, failed->what, retries);
        std::mutex m;
        std::unique_lock lock(m);
        std::condition_variable_any().wait_for(lock, stop, backoff, [] { return false; });
        if (stop.stop_requested()) return false;
        begin = failed->index;
        break;
      }
      case error_policy::action::skip_and_record:
        skip(c, b, event, failed->what);
        note_failure(event, failed->what, 0);
        begin = failed->index + 1;
        break;
    }
  }
  std::lock_guard lock(status_mutex_);
  status_.retries = 0;
  return true;
}

std::optional<projection_worker::failure> projection_worker::run_range(
    sqlite::connection& c, build_state& b, const std::vector<recorded_event>& events,
    std::size_t begin, std::size_t end, std::uint64_t checkpoint) {
  if (p_.handle) {
    sqlite::transaction tx(c, sqlite::transaction::mode::immediate);
    for (std::size_t i = begin; i < end; ++i) {
      try {
        p_.handle(events[i], *b.session);
      } catch (...) {
        return failure{i, describe(std::current_exception())};
      }
    }
    checkpoints_->write(p_.name, b.record.build, checkpoint);
    tx.commit();
  } else {
    for (std::size_t i = begin; i < end; ++i) {
      try {
        p_.sink(events[i]);
      } catch (...) {
        std::string what = describe(std::current_exception());
        checkpoints_->write(p_.name, b.record.build, events[i].position - 1);
        b.record.checkpoint = events[i].position - 1;
        return failure{i, std::move(what)};
      }
    }
    checkpoints_->write(p_.name, b.record.build, checkpoint);
  }
  b.record.checkpoint = checkpoint;
  return std::nullopt;
}

void projection_worker::skip(sqlite::connection& c, build_state& b, const recorded_event& event,
                             const std::string& what) {
  sqlite::transaction tx(c, sqlite::transaction::mode::immediate);
  record_dead_letter(c, {p_.name, event.position, event.type, event.stream_id, what});
  checkpoints_->write(p_.name, b.record.build, event.position);
  tx.commit();
  b.record.checkpoint = event.position;
  std::lock_guard lock(status_mutex_);
  ++status_.dead_letters;
}

void projection_worker::swap(sqlite::connection& c) {
  // Statements prepared on the tables about to be dropped go first.
  if (current_) current_->session.reset();
  sqlite::transaction tx(c, sqlite::transaction::mode::immediate);
  swap_in(c, p_.name, current_ ? &current_->record : nullptr, shadow_->record);
  tx.commit();
  current_ = std::move(shadow_);
  current_->record.current = true;
  shadow_.reset();
}

void projection_worker::publish(projection_state state) {
  std::optional<std::uint64_t> head;
  try {
    head = store_.head_position();
  } catch (const store_closed&) {
    // Stopping after the store was closed: the last head seen stands.
  }
  std::lock_guard lock(status_mutex_);
  if (status_.state == projection_state::failed && state != projection_state::failed) return;
  status_.state = state;
  if (head) status_.head = *head;
  status_.serving_checkpoint = current_ ? current_->record.checkpoint : 0;
  const auto& in_progress = shadow_ ? shadow_ : current_;
  if (in_progress) {
    status_.checkpoint = in_progress->record.checkpoint;
    status_.start_position = in_progress->record.start;
    rate_.sample(rate_meter::clock::now(), status_.checkpoint);
  }
  status_changed_.notify_all();
}

void projection_worker::note_failure(const recorded_event& event, const std::string& what,
                                     int retries) {
  std::lock_guard lock(status_mutex_);
  status_.failed_position = event.position;
  status_.failed_type = event.type;
  status_.failed_stream = event.stream_id;
  status_.error = what;
  status_.retries = retries;
}

}  // namespace annal::projection_detail
