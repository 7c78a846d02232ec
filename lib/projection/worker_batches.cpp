// A projection worker applying a page of events: handlers in transactions with their checkpoint,
// the error policy for a failing event, dead letters, and failures that are the database's.
#include "annal/error.hpp"
#include "projection/build_origin.hpp"
#include "projection/projection_worker.hpp"
#include "projection/worker_support.hpp"

namespace annal::projection_detail {

bool projection_worker::apply_page(read_model_db& db, build_state& b, const page& batch,
                                   std::stop_token stop) {
  const log_slice& slice = batch.slice;
  const auto& events = slice.events;
  std::size_t begin = 0;
  int retries = 0;
  std::uint64_t retried_position = 0;
  // A handler's statement that failed because of the database (full, locked, the connection
  // gone) is not the event's fault: the runner recovers instead (see run()).
  auto throw_if_database_failed = [&db] {
    if (auto e = db.database_failure()) std::rethrow_exception(e);
  };
  for (;;) {
    db.clear_database_failure();
    auto failed = run_range(db, b, batch, begin, events.size(), slice.next_position - 1);
    if (!failed) break;
    throw_if_database_failed();
    if (p_.is_read_model()) {
      // Roll forward to just before the failing event, so its predecessors are not lost. A
      // handler that now fails earlier moves the failure there.
      while (failed->index > begin) {
        auto again =
            run_range(db, b, batch, begin, failed->index, events[failed->index].position - 1);
        if (!again) break;
        throw_if_database_failed();
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
        auto pause = backoff(p_.on_error.initial_backoff, p_.on_error.max_backoff, retries);
        ++retries;
        note_failure(event, failed->what, retries);
        if (!pause_unless_stopped(stop, pause)) return false;
        begin = failed->index;
        break;
      }
      case error_policy::action::skip_and_record:
        skip(db, b, event, failed->what);
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
    read_model_db& db, build_state& b, const page& batch, std::size_t begin, std::size_t end,
    std::uint64_t checkpoint) {
  const auto& events = batch.slice.events;
  auto apply = [&](std::size_t i) {
    if (!batch.steps.empty()) {
      const event_step& step = batch.steps[i];
      if (b.session) {
        step.model(*b.session);
      } else {
        step.sink();
      }
    } else if (const auto* model = std::get_if<read_model_handler>(&p_.handler)) {
      model->apply(events[i], *b.session);
    } else {
      std::get<sink_handler>(p_.handler).deliver(events[i]);
    }
  };
  // The checkpoint is stored with its origin, for the origin checks; the build's record follows
  // once it is committed.
  auto store_checkpoint = [&](std::uint64_t to) {
    checkpoint_origin origin = origin_at(store_, store_id_, to, events);
    db.check_lead();
    advance_checkpoint(db, p_.name, b.record.build, b.record.checkpoint, to, origin);
    return origin;
  };
  auto note_checkpoint = [&](std::uint64_t to, checkpoint_origin origin) {
    b.record.checkpoint = to;
    b.record.origin = std::move(origin);
  };
  if (p_.is_read_model()) {
    db_transaction tx(db);
    // The checkpoint moves first: a runner that lost the lead finds out before its handlers
    // meet another runner's rows. A failing event rolls the move back with its writes.
    checkpoint_origin at_checkpoint = store_checkpoint(checkpoint);
    for (std::size_t i = begin; i < end; ++i) {
      try {
        apply(i);
      } catch (...) {
        return failure{i, describe(std::current_exception())};
      }
    }
    tx.commit();
    note_checkpoint(checkpoint, std::move(at_checkpoint));
  } else {
    for (std::size_t i = begin; i < end; ++i) {
      try {
        apply(i);
      } catch (...) {
        std::string what = describe(std::current_exception());
        std::uint64_t before_failure = events[i].position - 1;
        note_checkpoint(before_failure, store_checkpoint(before_failure));
        return failure{i, std::move(what)};
      }
    }
    note_checkpoint(checkpoint, store_checkpoint(checkpoint));
  }
  return std::nullopt;
}

void projection_worker::skip(read_model_db& db, build_state& b, const recorded_event& event,
                             const std::string& what) {
  db_transaction tx(db);
  db.check_lead();
  record_dead_letter(db, {p_.name, event.position, event.type, event.stream_id, what});
  checkpoint_origin origin{store_id_, event.id.to_string()};
  advance_checkpoint(db, p_.name, b.record.build, b.record.checkpoint, event.position, origin);
  tx.commit();
  b.record.checkpoint = event.position;
  b.record.origin = std::move(origin);
  std::lock_guard lock(status_mutex_);
  ++status_.dead_letters;
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
