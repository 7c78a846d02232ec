// Running the annal tool as a real process from tests, with files or a terminal for its output.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace annal::test {

/// What a finished run of the tool printed and returned.
struct tool_result {
  /// The exit status, or 128 + the signal number when a signal ended the process.
  int exit_code = -1;
  std::string out;
  std::string err;
  /// The process's peak resident set size, in KiB (wait4's ru_maxrss). Linux carries the peak
  /// across exec, so it is at least the spawning process's resident size: spawn from a small one.
  long peak_rss_kib = 0;
};

/// The path of the annal tool under test, from the environment variable ANNAL_TOOL.
std::string tool_path();

/// Runs the tool with `args`, standard input read from the file `input`, and waits for it.
/// When `out_file` is given, standard output goes to that file instead of tool_result::out.
tool_result run_tool(const std::vector<std::string>& args, const std::string& input = "/dev/null",
                     const std::string& out_file = {});

/// Runs the tool with standard error on a pseudo-terminal (standard output to a file), as in an
/// interactive shell. Returns what the terminal received as `err`.
tool_result run_tool_with_terminal(const std::vector<std::string>& args,
                                   const std::string& input = "/dev/null");

/// A running tool process whose output goes to files. The destructor kills and reaps it.
class tool_process {
 public:
  /// Starts the tool with `args`; `environment` ("NAME=VALUE" each) is added to this process's.
  tool_process(const std::vector<std::string>& args, const std::string& out_path,
               const std::string& err_path, const std::vector<std::string>& environment = {});
  ~tool_process();
  tool_process(const tool_process&) = delete;
  tool_process& operator=(const tool_process&) = delete;

  void signal(int number);
  /// Waits until the process stops (SIGSTOP) or ends: true when it stopped; when it ended,
  /// false, and wait() returns its exit code.
  bool wait_until_stopped();
  /// Waits for the process to end; returns its exit code as tool_result documents.
  int wait();

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;  // when wait_until_stopped() saw the process end
};

/// The contents of a file ("" when it is missing).
std::string read_file(const std::string& path);

}  // namespace annal::test
