// The end-to-end test fixture: servers in-process and as programs, request and check helpers.
#include "e2e_fixture.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>

#include "support/store_fixture.hpp"

extern char** environ;

namespace order_service::test {
namespace {

// The read-model file of each PostgreSQL store URI store_uri() made, in that test's directory.
std::map<std::string, std::string>& read_model_files() {
  static std::map<std::string, std::string> files;
  return files;
}

std::string read_model_file(const std::string& uri) {
  auto it = read_model_files().find(uri);
  return it == read_model_files().end() ? std::string() : it->second;
}

order_service::server_options options_for(const std::string& uri) {
  order_service::server_options o;
  o.store_uri = uri;
  o.read_model_path = read_model_file(uri);
  o.port = 0;
  return o;
}

const char* program_path() {
  const char* exe = std::getenv("ORDER_SERVICE_EXE");
  REQUIRE(exe != nullptr);
  return exe;
}

// Starts the program with `args` and its standard output (and error, when `with_stderr`) on a
// pipe; returns the reading end.
FILE* spawn(const std::vector<std::string>& args, bool with_stderr, pid_t& pid) {
  int out[2];
  REQUIRE(pipe(out) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  if (with_stderr) posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::vector<std::string> argv_text{program_path()};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  REQUIRE(spawned == 0);
  return fdopen(out[0], "r");
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::string backend() {
  const char* name = std::getenv("ORDER_SERVICE_BACKEND");
  return name != nullptr ? name : "sqlite";
}

std::string store_uri(const annal::test::temp_dir& dir) {
  if (backend() == "postgres") {
    std::string uri = annal::test::backend_uri(dir);
    read_model_files()[uri] = dir.file("orders.read.db");
    return uri;
  }
  return backend() == "segment" ? "segment:" + dir.file("log") : "sqlite:" + dir.file("orders.db");
}

namespace {

order_service::server_options adjusted(
    const std::string& uri, const std::function<void(order_service::server_options&)>& adjust) {
  auto options = options_for(uri);
  if (adjust) adjust(options);
  return options;
}

}  // namespace

running_server::running_server(const std::string& uri,
                               const std::function<void(order_service::server_options&)>& adjust)
    : server_(adjusted(uri, adjust)), thread_([this] { server_.run(); }) {}

running_server::~running_server() {
  server_.stop();
  thread_.join();
}

child_process::child_process(const std::string& uri, const std::vector<std::string>& extra,
                             const std::string& listen, bool with_stderr) {
  std::vector<std::string> args{"serve", "--store", uri, "--listen", listen};
  if (std::string file = read_model_file(uri); !file.empty()) {
    args.insert(args.end(), {"--read-models", file});
  }
  args.insert(args.end(), extra.begin(), extra.end());
  output_ = spawn(args, with_stderr, pid_);
  // "listening on http://HOST:PORT": the port is after the last colon.
  const std::string marker = "listening on http://";
  char line[4096];
  while (std::fgets(line, sizeof line, output_) != nullptr) {
    std::string text = line;
    startup_ += text;
    auto at = text.find(marker);
    if (at != std::string::npos) {
      auto end = text.find(' ', at + marker.size());
      std::string url = text.substr(at + marker.size(), end - at - marker.size());
      port_ = std::stoi(url.substr(url.rfind(':') + 1));
      break;
    }
  }
  INFO(startup_);
  REQUIRE(port_ > 0);
}

std::string child_process::rest_of_output() {
  std::string rest;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, output_)) > 0) rest.append(buffer, n);
  return rest;
}

child_process::~child_process() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (output_ != nullptr) std::fclose(output_);
}

int child_process::stop_with(int signal) {
  kill(pid_, signal);
  int status = wait_exit(pid_);
  pid_ = 0;
  return status;
}

program_result run_program(const std::vector<std::string>& args) {
  pid_t pid = 0;
  FILE* output = spawn(args, true, pid);
  program_result result;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, output)) > 0) result.output.append(buffer, n);
  std::fclose(output);
  result.status = wait_exit(pid);
  return result;
}

std::string etag(std::uint64_t version) { return "\"" + std::to_string(version) + "\""; }

std::string new_customer(api_client& api) {
  auto reply = api.post("/customers", {{"name", "ada"}, {"email", "ada@example.com"}});
  REQUIRE(reply.status == 201);
  return reply.body["id"];
}

std::string new_order(api_client& api, const std::string& customer) {
  auto reply = api.post("/orders", {{"customer_id", customer}, {"currency", "EUR"}});
  REQUIRE(reply.status == 201);
  return reply.body["id"];
}

nlohmann::json item(const std::string& sku, int quantity, std::int64_t price) {
  return {{"sku", sku}, {"quantity", quantity}, {"unit_price_cents", price}};
}

void require_error(const api_reply& reply, int status, const std::string& code,
                   const std::string& field) {
  INFO(reply.text);
  REQUIRE(reply.status == status);
  CHECK(reply.body["error"] == code);
  CHECK(reply.body["message"].get<std::string>().size() > 5);
  if (field.empty()) {
    CHECK_FALSE(reply.body.contains("field"));
  } else {
    CHECK(reply.body["field"] == field);
  }
}

std::uint64_t version_of(api_client& api, const std::string& order_id) {
  auto reply = api.get("/orders/" + order_id);
  REQUIRE(reply.status == 200);
  return reply.body["version"];
}

}  // namespace order_service::test
