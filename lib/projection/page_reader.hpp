// Reads the global log page by page, fetching and preparing the next page on another thread while
// one is handled.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <vector>

#include "annal/event_store.hpp"
#include "annal/projection.hpp"

namespace annal::projection_detail {

/// The prepared work of one event: `model` for a read model, `sink` for a sink.
struct event_step {
  read_model_step model;
  sink_step sink;
};
/// Makes the step of one event. Must not throw: a failure becomes a step that throws.
using step_maker = std::function<event_step(const recorded_event&)>;

/// A page of the log and, when the reader prepares events, one step per event.
struct page {
  log_slice slice;
  std::vector<event_step> steps;
};

/// Pages of read_all() from a position on. While a page is being handled the next one is read
/// (and its events prepared) in the background, unless the last read reached the head: then the
/// next read happens on demand, to see new appends. The store must outlive the reader. Not
/// thread-safe.
class page_reader {
 public:
  /// `prepare` may be empty (no steps are made).
  page_reader(event_store& store, read_filter filter, std::size_t page_size, std::uint64_t from,
              step_maker prepare);
  ~page_reader();
  page_reader(const page_reader&) = delete;
  page_reader& operator=(const page_reader&) = delete;

  /// The next page. Rethrows what the read threw. The page must stay alive while its steps run.
  page next();

 private:
  page read(std::uint64_t from);

  event_store& store_;
  read_filter filter_;
  std::size_t page_size_;
  std::uint64_t next_;
  step_maker prepare_;
  std::future<page> pending_;
};

}  // namespace annal::projection_detail
