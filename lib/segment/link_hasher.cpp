// The hash chain's links of a commit group, computed on a thread of their own.
#include "segment/link_hasher.hpp"

#include <chrono>
#include <thread>

#include "core/batch_chain.hpp"

namespace annal::segment {
namespace {

// How long a side polls for the other before it sleeps: waking a sleeping thread on a virtual
// machine costs tens of microseconds, as much as the hashing it would hide.
constexpr auto poll_time = std::chrono::microseconds(2000);

// Polls `ready` for poll_time, yielding the CPU to any other thread that wants it; true when it
// became true.
bool poll(const std::atomic<bool>& ready) {
  auto until = std::chrono::steady_clock::now() + poll_time;
  for (;;) {
    if (ready.load(std::memory_order_acquire)) return true;
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::yield();
  }
}

}  // namespace

std::vector<detail::sha256_digest> link_batches(const detail::sha256_digest& previous,
                                                std::span<const batch_to_link> batches) {
  std::vector<detail::sha256_digest> links;
  links.reserve(batches.size());
  const detail::sha256_digest* last = &previous;
  std::vector<detail::sha256_digest> computed;
  for (const auto& b : batches) {
    std::span<const detail::sha256_digest> contents = b.contents;
    if (contents.size() != b.events.size()) {
      computed = detail::content_digests(b.events, b.metadata);
      contents = computed;
    }
    links.push_back(detail::append_link(*last, b.stream_id, b.first_position, b.first_version,
                                        b.timestamp_us, b.events, contents));
    last = &links.back();
  }
  return links;
}

link_hasher::link_hasher() : thread_([this] { run(); }) {}

link_hasher::~link_hasher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void link_hasher::start(const detail::sha256_digest& previous,
                        std::span<const batch_to_link> batches) {
  previous_ = previous;
  batches_ = batches;
  job_done_.store(false, std::memory_order_relaxed);
  job_ready_.store(true);  // publishes the job; seq_cst against the hasher's `asleep_`
  if (asleep_.load()) {
    std::lock_guard lock(mutex_);
    wake_.notify_all();
  }
}

std::vector<detail::sha256_digest> link_hasher::wait() {
  if (!poll(job_done_)) {
    std::unique_lock lock(mutex_);
    writer_asleep_.store(true);
    wake_.wait(lock, [&] { return job_done_.load(); });
    writer_asleep_.store(false);
  }
  if (error_) std::rethrow_exception(error_);
  return std::move(links_);
}

void link_hasher::run() {
  for (;;) {
    if (!poll(job_ready_)) {
      std::unique_lock lock(mutex_);
      asleep_.store(true);
      wake_.wait(lock, [&] { return stopping_ || job_ready_.load(); });
      asleep_.store(false);
      if (stopping_) return;
    }
    job_ready_.store(false, std::memory_order_relaxed);
    error_ = nullptr;
    try {
      links_ = link_batches(previous_, batches_);
    } catch (...) {
      error_ = std::current_exception();
    }
    job_done_.store(true);  // publishes the links; seq_cst against the writer's flag
    if (writer_asleep_.load()) {
      std::lock_guard lock(mutex_);
      wake_.notify_all();
    }
  }
}

}  // namespace annal::segment
