// function_ref: a non-owning reference to a callable, cheaper than std::function on hot paths.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace annal::detail {

template <class Signature>
class function_ref;

/// Refers to a callable without owning or copying it: the callable must outlive every call.
/// Two words, no allocation. Thread safety is the callable's.
template <class R, class... Args>
class function_ref<R(Args...)> {
 public:
  template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, function_ref> &&
             std::is_invocable_r_v<R, F&, Args...>)
  function_ref(F&& f) noexcept  // NOLINT(google-explicit-constructor): used like a function
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

}  // namespace annal::detail
