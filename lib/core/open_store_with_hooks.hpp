// Opening a store with test seams in its append path: what tests use instead of open_store().
#pragma once

#include <memory>
#include <string_view>

#include "annal/event_store.hpp"
#include "annal/open_store.hpp"
#include "core/store_hooks.hpp"

namespace annal::detail {

/// open_store() with `hooks` injected into the backend's append path (see store_hooks). Throws as
/// open_store() does.
std::unique_ptr<event_store> open_store_with_hooks(std::string_view uri,
                                                   const store_options& options,
                                                   store_hooks hooks);

}  // namespace annal::detail
