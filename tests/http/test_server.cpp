// The HTTP library's test server and request helpers.
#include "test_server.hpp"

#include <stdexcept>

namespace annal::http::test {

test_server::test_server(server_options options) {
  options.address = {"127.0.0.1", 0};
  options.error_log = [this](std::string_view line) {
    std::lock_guard lock(mutex_);
    errors_.emplace_back(line);
  };
  if (!options.access_log) {
    options.access_log = [this](const access_log_entry& entry) {
      std::lock_guard lock(mutex_);
      access_.push_back(format_access_log_line(entry));
    };
  }
  router routes;
  routes.add("GET", "/health", [](const request&) { return make_response(200, "ok", "text/plain"); });
  routes.add("POST", "/echo", [](const request& r) {
    return make_response(200, r.body, "application/octet-stream");
  });
  routes.add("GET", "/echo/{word}", [](const request& r) {
    std::string text = r.path_param("word");
    auto question = r.target.find('?');
    if (question != std::string::npos) text += r.target.substr(question);
    return make_response(200, text, "text/plain");
  });
  routes.add("POST", "/count", [this](const request& r) {
    std::lock_guard lock(mutex_);
    return make_response(200, std::to_string(++counted_) + " " + r.body, "text/plain");
  });
  routes.add("GET", "/block", [this](const request&) {
    std::unique_lock lock(mutex_);
    ++blocked_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return released_; });
    return make_response(200, "released", "text/plain");
  });
  routes.add("GET", "/throw", [](const request&) -> response {
    throw std::runtime_error("secret detail");
  });
  server_ = std::make_unique<server>(std::move(options), std::move(routes));
  running_ = std::async(std::launch::async, [this] { server_->run(); });
}

test_server::~test_server() {
  release();
  server_->stop();
  running_.wait();
}

bool test_server::wait_blocked(int count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return blocked_ >= count; });
}

void test_server::release() {
  std::lock_guard lock(mutex_);
  released_ = true;
  changed_.notify_all();
}

bool test_server::wait_connections(std::size_t count, std::chrono::milliseconds timeout) {
  return annal::test::eventually([&] { return server_->open_connections() == count; }, timeout);
}

bool test_server::stop_and_wait(std::chrono::milliseconds timeout) {
  server_->stop();
  return running_.wait_for(timeout) == std::future_status::ready;
}

std::vector<std::string> test_server::error_lines() const {
  std::lock_guard lock(mutex_);
  return errors_;
}

std::vector<std::string> test_server::access_lines() const {
  std::lock_guard lock(mutex_);
  return access_;
}

std::string request_text(const std::string& method, const std::string& target,
                         const std::string& body, const std::string& extra) {
  std::string text = method + " " + target + " HTTP/1.1\r\nHost: test\r\n" + extra;
  if (!body.empty() || method != "GET") {
    text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return text + "\r\n" + body;
}

}  // namespace annal::http::test
