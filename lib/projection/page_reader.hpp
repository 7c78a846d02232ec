// Reads the global log page by page, fetching the next page on another thread while one is handled.
#pragma once

#include <cstddef>
#include <cstdint>
#include <future>

#include "annal/event_store.hpp"

namespace annal::projection_detail {

/// Pages of read_all() from a position on. While a page is being handled the next one is read
/// in the background, unless the last read reached the head (then the next read happens on
/// demand, to see new appends). The store must outlive the reader. Not thread-safe.
class page_reader {
 public:
  page_reader(event_store& store, read_filter filter, std::size_t page_size, std::uint64_t from);
  ~page_reader();
  page_reader(const page_reader&) = delete;
  page_reader& operator=(const page_reader&) = delete;

  /// The next page. Rethrows what the read threw.
  log_slice next();

 private:
  log_slice read(std::uint64_t from);

  event_store& store_;
  read_filter filter_;
  std::size_t page_size_;
  std::uint64_t next_;
  std::future<log_slice> pending_;
};

}  // namespace annal::projection_detail
