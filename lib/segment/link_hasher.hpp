// The hash chain's links of a commit group, computed on a thread of their own while the group's
// frames are written and synced.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "annal/event.hpp"
#include "core/sha256.hpp"

namespace annal::segment {

/// One batch of a commit group, as the chain links it. Views into the append it came from.
struct batch_to_link {
  std::string_view stream_id;
  std::uint64_t first_position = 0;
  std::uint64_t first_version = 0;
  std::int64_t timestamp_us = 0;
  std::span<const event_data> events;
  /// Encoded metadata, one per event; empty when no event has any.
  std::span<const std::string> metadata;
  /// The events' content digests when the appender computed them already; empty otherwise.
  std::span<const detail::sha256_digest> contents;
};

/// The links of `batches` in order, the first following `previous`. Pure; never throws but
/// std::bad_alloc.
std::vector<detail::sha256_digest> link_batches(const detail::sha256_digest& previous,
                                                std::span<const batch_to_link> batches);

/// A thread that computes one group's links (link_batches()) at a time, so that a durable
/// append's hashing runs beside its sync instead of before its write. Between jobs the thread,
/// and wait() for its job, poll for up to 2 ms (yielding the CPU) before they sleep, since waking
/// a sleeping thread on a virtual machine costs as much as the hashing. Not thread-safe: one
/// caller (the store's writer) at a time.
class link_hasher {
 public:
  /// Starts the thread. Throws std::system_error when it cannot (the store's open then fails).
  link_hasher();
  /// Stops and joins the thread; no job may be running (every start() was waited for).
  ~link_hasher();
  link_hasher(const link_hasher&) = delete;
  link_hasher& operator=(const link_hasher&) = delete;

  /// Starts computing the links of `batches` after `previous`. `batches` and what it views must
  /// stay valid until wait() returns; one job at a time.
  void start(const detail::sha256_digest& previous, std::span<const batch_to_link> batches);
  /// The started job's links, once computed; rethrows its std::bad_alloc.
  std::vector<detail::sha256_digest> wait();

 private:
  void run();

  // The job and its result pass through job_ready_ and job_done_ (sequentially consistent, so
  // that each side's flag and the other's asleep flag cannot both be missed); each side polls
  // the other's flag for a while, then sleeps on wake_, and is woken only when asleep.
  detail::sha256_digest previous_{};
  std::span<const batch_to_link> batches_;
  std::vector<detail::sha256_digest> links_;
  std::exception_ptr error_;
  std::atomic<bool> job_ready_{false};
  std::atomic<bool> job_done_{true};
  std::atomic<bool> asleep_{false};         // the hasher sleeps on wake_
  std::atomic<bool> writer_asleep_{false};  // wait() sleeps on wake_
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace annal::segment
