// A pool of reusable objects, such as database connections, lent to one caller at a time.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace annal::detail {

/// Lends objects made by a factory and takes them back for reuse, keeping at most `max_idle`.
/// Thread-safe. The pool must outlive its leases.
template <class T>
class object_pool {
 public:
  /// Gives the object back to the pool when it goes out of scope.
  class lease {
   public:
    lease(object_pool& pool, std::unique_ptr<T> object) : pool_(pool), object_(std::move(object)) {}
    ~lease() { pool_.release(std::move(object_)); }
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    T* operator->() const noexcept { return object_.get(); }
    T& operator*() const noexcept { return *object_; }

   private:
    object_pool& pool_;
    std::unique_ptr<T> object_;
  };

  /// `make` creates an object when none is idle (its exceptions reach acquire()'s caller);
  /// `reusable`, when set, decides whether a returned object is kept.
  explicit object_pool(std::function<std::unique_ptr<T>()> make,
                       std::function<bool(T&)> reusable = {}, std::size_t max_idle = 8)
      : make_(std::move(make)), reusable_(std::move(reusable)), max_idle_(max_idle) {}

  /// An idle object, or a new one.
  lease acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        auto object = std::move(idle_.back());
        idle_.pop_back();
        return lease(*this, std::move(object));
      }
    }
    return lease(*this, make_());
  }

  /// Drops every idle object.
  void clear() noexcept {
    std::lock_guard lock(mutex_);
    idle_.clear();
  }

 private:
  void release(std::unique_ptr<T> object) noexcept {
    if (!object || (reusable_ && !reusable_(*object))) return;
    std::lock_guard lock(mutex_);
    if (idle_.size() < max_idle_) idle_.push_back(std::move(object));
  }

  std::function<std::unique_ptr<T>()> make_;
  std::function<bool(T&)> reusable_;
  std::size_t max_idle_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<T>> idle_;
};

}  // namespace annal::detail
