// commit_gate: hooks that hold the first commit group and count queued appends.
#include "support/commit_gate.hpp"

#include <stdexcept>
#include <string>

namespace annal::test {

detail::store_hooks commit_gate::hooks() {
  detail::store_hooks h;
  h.on_queued = [this] {
    std::lock_guard lock(mutex_);
    ++queued_;
    changed_.notify_all();
  };
  h.before_group = [this](std::size_t) {
    std::unique_lock lock(mutex_);
    if (held_ || released_) return;  // only the first group waits
    held_ = true;
    changed_.notify_all();
    changed_.wait(lock, [this] { return released_; });
  };
  return h;
}

void commit_gate::wait(const char* what, auto condition) {
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, std::chrono::seconds(30), condition)) {
    throw std::runtime_error(std::string("commit_gate: gave up waiting until ") + what);
  }
}

void commit_gate::wait_until_held() {
  wait("the first group is held", [this] { return held_; });
}

void commit_gate::wait_until_queued(std::size_t count) {
  wait("enough appends queued", [this, count] { return queued_ >= count; });
}

void commit_gate::release() {
  {
    std::lock_guard lock(mutex_);
    released_ = true;
  }
  changed_.notify_all();
}

}  // namespace annal::test
