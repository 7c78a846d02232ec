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
    // The steps refer to the events, which stay where they are when the page is moved. A large
    // page is prepared in two halves side by side: decoding is the read-ahead's main cost.
    const auto& events = p.slice.events;
    p.steps.resize(events.size());
    auto prepare_range = [&](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) p.steps[i] = prepare_(events[i]);
    };
    std::size_t half = events.size() >= 2048 ? events.size() / 2 : events.size();
    auto second = half < events.size()
                      ? std::async(std::launch::async, prepare_range, half, events.size())
                      : std::future<void>();
    prepare_range(0, half);
    if (second.valid()) second.get();
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
