// The order service's server: opening the store, binding, serving and the graceful stop.
#include "server.hpp"

#include <cstdio>
#include <filesystem>
#include <stdexcept>

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

void wipe_secret(std::string& secret) noexcept {
  volatile char* bytes = secret.data();
  for (std::size_t i = 0; i < secret.size(); ++i) bytes[i] = 0;
  secret.clear();
}

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
  if (options_.port < 0 || options_.port > 65535) {
    throw std::invalid_argument("the port must be 0 to 65535, not " +
                                std::to_string(options_.port));
  }
  if (!options_.log) {
    options_.log = [](std::string_view line) {
      std::fprintf(stderr, "order-service: %.*s\n", static_cast<int>(line.size()), line.data());
    };
  }
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
  if (!options_.checkpoint_key.empty()) {
    annal::checkpoint_keeper_options keeper;
    keeper.every_batches = options_.checkpoint_every_batches;
    keeper.on_error = [log = options_.log](const std::string& message) {
      log("checkpoint not kept: " + message);
    };
    checkpoints_ = std::make_unique<annal::checkpoint_keeper>(*store_, options_.checkpoint_key,
                                                              std::move(keeper));
    wipe_secret(options_.checkpoint_key);
  }

  annal::http::server_options http = options_.http;
  http.address = {options_.host, static_cast<std::uint16_t>(options_.port)};
  http.error_log = options_.log;
  http.error_response = server_error_reply;
  if (options_.access_log) {
    http.access_log = [](const annal::http::access_log_entry& entry) {
      std::fprintf(stderr, "%s\n", annal::http::format_access_log_line(entry).c_str());
    };
  }
  annal::http::router routes;
  add_routes(routes, *app_, *projections_, options_.log);
  http_ = std::make_unique<annal::http::server>(std::move(http), std::move(routes));
  projections_->start();
}

server::~server() {
  projections_->stop();
  if (checkpoints_) checkpoints_->stop();
  store_->close();
}

std::string server::base_url() const {
  return "http://" + annal::http::listen_address{options_.host, http_->port()}.to_string();
}

void server::run() {
  // Returns once stop() came and every connection is closed, every handler done.
  http_->run();
  projections_->stop();
  if (checkpoints_) checkpoints_->stop();
  store_->close();
}

void server::stop() { http_->stop(); }

}  // namespace order_service
