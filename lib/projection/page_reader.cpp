// Prefetching reader of the global log.
#include "projection/page_reader.hpp"

namespace annal::projection_detail {

page_reader::page_reader(event_store& store, read_filter filter, std::size_t page_size,
                         std::uint64_t from)
    : store_(store), filter_(std::move(filter)), page_size_(page_size), next_(from) {}

page_reader::~page_reader() {
  if (pending_.valid()) pending_.wait();
}

log_slice page_reader::read(std::uint64_t from) {
  return store_.read_all(from, page_size_, filter_);
}

log_slice page_reader::next() {
  log_slice slice = pending_.valid() ? pending_.get() : read(next_);
  next_ = slice.next_position;
  if (!slice.end_of_log) {
    pending_ = std::async(std::launch::async, [this, from = next_] { return read(from); });
  }
  return slice;
}

}  // namespace annal::projection_detail
