// posix_spawn with redirections, for running the tool from tests.
#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support/temp_dir.hpp"

extern char** environ;

namespace annal::test {
namespace {

// Spawns the tool with standard input from `input`, standard output to the file `out` and
// standard error to `err`, opened with `err_flags` (a file, or a terminal). `close_fd`, when not
// -1, is closed in the child. `environment` is added to this process's environment.
pid_t spawn_tool(const std::vector<std::string>& args, const std::string& input,
                 const std::string& out, const std::string& err, int err_flags, int close_fd = -1,
                 const std::vector<std::string>& environment = {}) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, input.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(), err_flags, 0644);
  if (close_fd >= 0) posix_spawn_file_actions_addclose(&actions, close_fd);
  std::string path = tool_path();
  std::vector<std::string> copies(args);
  std::vector<char*> argv{path.data()};
  for (auto& a : copies) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> variables(environment);
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
  for (auto& v : variables) envp.push_back(v.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + path);
  return pid;
}

constexpr int file_flags = O_WRONLY | O_CREAT | O_TRUNC;

int exit_code_of(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Waits for the process; `peak_rss_kib`, when given, receives its peak resident set size.
int wait_exit_code(pid_t pid, long* peak_rss_kib = nullptr) {
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) throw std::runtime_error("wait4 failed");
  }
  if (peak_rss_kib != nullptr) *peak_rss_kib = usage.ru_maxrss;
  return exit_code_of(status);
}

}  // namespace

std::string tool_path() {
  const char* path = std::getenv("ANNAL_TOOL");
  if (path == nullptr || *path == '\0') throw std::runtime_error("ANNAL_TOOL is not set");
  return path;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

tool_result run_tool(const std::vector<std::string>& args, const std::string& input,
                     const std::string& out_file) {
  temp_dir dir;
  std::string out = out_file.empty() ? dir.file("out") : out_file, err = dir.file("err");
  tool_result result;
  result.exit_code =
      wait_exit_code(spawn_tool(args, input, out, err, file_flags), &result.peak_rss_kib);
  if (out_file.empty()) result.out = read_file(out);
  result.err = read_file(err);
  return result;
}

tool_result run_tool_with_terminal(const std::vector<std::string>& args, const std::string& input) {
  int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) {
    throw std::runtime_error("cannot open a pseudo-terminal");
  }
  std::string terminal = ::ptsname(master);
  temp_dir dir;
  std::string out = dir.file("out");
  pid_t pid = spawn_tool(args, input, out, terminal, O_RDWR | O_NOCTTY, master);
  tool_result result;
  // Read the terminal while the tool runs, so it never blocks on a full terminal buffer.
  char buffer[4096];
  for (bool exited = false;;) {
    pollfd fd{master, POLLIN, 0};
    if (::poll(&fd, 1, exited ? 0 : 50) > 0) {
      ssize_t n = ::read(master, buffer, sizeof buffer);
      if (n > 0) {
        result.err.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
    }
    if (exited) break;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      result.exit_code = exit_code_of(status);
    }
  }
  ::close(master);
  result.out = read_file(out);
  return result;
}

tool_process::tool_process(const std::vector<std::string>& args, const std::string& out_path,
                           const std::string& err_path, const std::vector<std::string>& environment)
    : pid_(spawn_tool(args, "/dev/null", out_path, err_path, file_flags, -1, environment)) {}

tool_process::~tool_process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait_exit_code(pid_);
  }
}

void tool_process::signal(int number) {
  if (pid_ > 0) ::kill(pid_, number);  // never kill(-1, ...): that signals every process
}

bool tool_process::wait_until_stopped() {
  int status = 0;
  while (::waitpid(pid_, &status, WUNTRACED) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  }
  if (WIFSTOPPED(status)) return true;
  exit_code_ = exit_code_of(status);
  pid_ = -1;
  return false;
}

int tool_process::wait() {
  if (pid_ < 0) return exit_code_;
  int code = wait_exit_code(pid_);
  pid_ = -1;
  return code;
}

}  // namespace annal::test
