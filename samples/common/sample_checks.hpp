// What the self-checking samples share: counting wrong results, and running the checks on a new
// store in a directory of its own.
#pragma once

#include <annal/annal.hpp>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

namespace samples {

/// Counts the results that are not the ones expected, printing each check. Not thread-safe:
/// check on one thread.
class checks {
 public:
  void expect(bool ok, const std::string& what) {
    std::printf("%s %s\n", ok ? "ok   " : "WRONG", what.c_str());
    if (!ok) ++wrong_;
  }
  int wrong() const noexcept { return wrong_; }

 private:
  int wrong_ = 0;
};

/// The main of a sample named `name`: runs `run_checks(store, checks)` on a new SQLite store in
/// a directory of its own under the directory the first argument names ("data" without one),
/// removed afterwards. Returns the exit code: 0, or 1 when a result is not the one expected or
/// an exception (e.g. annal::io_error: the store cannot be used) ended the checks.
template <class RunChecks>
int run_sample(const char* name, int argc, char** argv, RunChecks&& run_checks) {
  try {
    std::filesystem::path data = argc > 1 ? argv[1] : "data";
    std::filesystem::path dir = data / (std::string(name) + "-" + annal::uuid::v7().to_string());
    std::filesystem::create_directories(dir);
    checks check;
    {
      auto store = annal::open_store("sqlite:" + (dir / "store.db").string());
      run_checks(*store, check);
    }
    std::filesystem::remove_all(dir);
    if (check.wrong() > 0) std::fprintf(stderr, "%s: %d wrong\n", name, check.wrong());
    return check.wrong() > 0 ? 1 : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    return 1;
  }
}

}  // namespace samples
