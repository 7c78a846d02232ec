// Waiting in tests for a condition that another thread or process makes true.
#pragma once

#include <chrono>
#include <functional>

namespace annal::test {

/// Checks `condition` every few milliseconds until it holds (true) or `timeout` passes (false).
/// For a state another thread or process reaches (a connection count, a file, a checkpoint);
/// never a stand-in for a fixed sleep.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace annal::test
