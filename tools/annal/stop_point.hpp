// A test hook: the tool stops itself after its Nth stored batch, so a test can kill it there.
#pragma once

#include <cstdint>

namespace annal::cli {

/// Tests must interrupt `import` and `migrate` between two batches whatever the machine's
/// speed, which no delay can promise. When the environment variable
/// ANNAL_TEST_STOP_AFTER_BATCHES holds a whole number N of at least 1, the process stops
/// itself with SIGSTOP once its Nth batch is stored; the test sees it stopped (waitpid with
/// WUNTRACED) and kills it, or lets it go on with SIGCONT. Unset, it does nothing.
class stop_point {
 public:
  /// Reads the environment. Throws annal::invalid_argument when the variable is set to
  /// anything but a whole number of at least 1.
  stop_point();
  /// Call after each stored batch.
  void batch_stored();

 private:
  std::uint64_t stop_after_ = 0;  // 0: never
  std::uint64_t stored_ = 0;
};

}  // namespace annal::cli
