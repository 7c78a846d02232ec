// Prefetching reader of the global log.
#include "projection/page_reader.hpp"

namespace annal::projection_detail {

page_reader::page_reader(event_store& store, read_filter filter, std::size_t page_size,
                         std::uint64_t from, step_maker prepare)
    : store_(store),
      filter_(std::move(filter)),
      page_size_(page_size),
      next_(from),
      prepare_(std::move(prepare)) {}

page_reader::~page_reader() {
  if (pending_.valid()) pending_.wait();
}

page page_reader::read(std::uint64_t from) {
  page p{store_.read_all(from, page_size_, filter_), {}};
  if (prepare_) {
    // The steps refer to the events, which stay where they are when the page is moved.
    p.steps.reserve(p.slice.events.size());
    for (const auto& e : p.slice.events) p.steps.push_back(prepare_(e));
  }
  return p;
}

page page_reader::next() {
  page p = pending_.valid() ? pending_.get() : read(next_);
  next_ = p.slice.next_position;
  if (!p.slice.end_of_log) {
    pending_ = std::async(std::launch::async, [this, from = next_] { return read(from); });
  }
  return p;
}

}  // namespace annal::projection_detail
