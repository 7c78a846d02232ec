// The order service's server: opening the store, binding, serving and the graceful stop.
#include "server.hpp"

#include <httplib.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "http_api.hpp"
#include "order_summaries.hpp"
#include "revenue.hpp"

namespace order_service {

namespace {

// The file or directory a store URI names, without scheme and options.
std::filesystem::path store_location(const std::string& uri) {
  auto colon = uri.find(':');
  auto start = colon == std::string::npos ? 0 : colon + 1;
  return uri.substr(start, uri.find('?') - start);
}

}  // namespace

void prepare_store_location(const std::string& uri) {
  if (uri.rfind("sqlite:", 0) != 0) return;
  std::filesystem::path file = store_location(uri);
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
}

std::string default_read_model_path(const std::string& uri) {
  if (uri.rfind("postgres", 0) == 0) {
    std::filesystem::create_directories("data");
    return "data/orders.read.db";
  }
  std::filesystem::path location = store_location(uri);
  if (location.extension() == ".db") location.replace_extension();
  return location.string() + ".read.db";
}

server::server(server_options options) : options_(std::move(options)) {
  prepare_store_location(options_.store_uri);
  store_ = annal::open_store(options_.store_uri);
  annal::repository_options repository_options;
  repository_options.max_retries = options_.max_retries;
  app_ = std::make_unique<service>(*store_, repository_options);
  std::string read_models = options_.read_model_path.empty()
                                ? default_read_model_path(options_.store_uri)
                                : options_.read_model_path;
  projections_ = std::make_unique<annal::projection_runner>(*store_, read_models);
  projections_->add(order_summaries_projection());
  projections_->add(revenue_projection());
  http_ = std::make_unique<httplib::Server>();
  // Idle keep-alive connections are closed after a second, so a stop never waits long for them.
  http_->set_keep_alive_timeout(1);
  http_->set_keep_alive_max_count(1000);
  // Replies are small: without TCP_NODELAY, Nagle and delayed ACKs add ~40 ms to each.
  http_->set_tcp_nodelay(true);
  add_routes(*http_, *app_, *projections_);
  if (options_.access_log) {
    http_->set_logger([](const httplib::Request& req, const httplib::Response& res) {
      std::fprintf(stderr, "%s %s -> %d\n", req.method.c_str(), req.path.c_str(), res.status);
    });
  }
  port_ = options_.port == 0
              ? http_->bind_to_any_port(options_.host)
              : (http_->bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (port_ <= 0) {
    projections_.reset();
    store_->close();
    throw std::runtime_error("cannot listen on " + options_.host + ":" +
                             std::to_string(options_.port));
  }
  projections_->start();
}

server::~server() {
  stop();
  projections_->stop();
  store_->close();
}

std::string server::base_url() const {
  return "http://" + options_.host + ":" + std::to_string(port_);
}

void server::run() {
  {
    std::lock_guard lock(mutex_);
    if (!stop_requested_) serving_ = true;
  }
  if (serving_) {
    // Returns once stop() closed the listening socket and every worker finished its requests.
    http_->listen_after_bind();
    serving_ = false;
  }
  projections_->stop();
  store_->close();
}

void server::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
  }
  // httplib ignores a stop() that comes before its accept loop started, so wait for the loop.
  while (serving_ && !http_->is_running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  http_->stop();
}

}  // namespace order_service
