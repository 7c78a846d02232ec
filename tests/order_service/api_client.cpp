// The test client of the order service's HTTP API, on cpp-httplib's client.
#include "api_client.hpp"

#include <httplib.h>
#include <strings.h>

namespace order_service::test {
namespace {

httplib::Headers to_headers(const std::vector<std::pair<std::string, std::string>>& headers) {
  return {headers.begin(), headers.end()};
}

api_reply to_reply(const httplib::Result& result) {
  api_reply reply;
  if (!result) return reply;
  reply.status = result->status;
  reply.headers.assign(result->headers.begin(), result->headers.end());
  reply.text = result->body;
  reply.body = nlohmann::json::parse(result->body, nullptr, false);
  if (reply.body.is_discarded()) reply.body = nullptr;
  return reply;
}

}  // namespace

std::string api_reply::header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (strcasecmp(key.c_str(), name.c_str()) == 0) return value;
  }
  return "";
}

api_client::api_client(const std::string& host, int port)
    : client_(std::make_unique<httplib::Client>(host, port)) {
  client_->set_keep_alive(true);
  client_->set_tcp_nodelay(true);
  client_->set_read_timeout(30, 0);
}

api_client::~api_client() = default;
api_client::api_client(api_client&&) noexcept = default;

api_reply api_client::get(const std::string& path,
                          const std::vector<std::pair<std::string, std::string>>& headers) {
  return to_reply(client_->Get(path, to_headers(headers)));
}

api_reply api_client::post_text(const std::string& path, const std::string& body,
                                const std::vector<std::pair<std::string, std::string>>& headers) {
  return to_reply(client_->Post(path, to_headers(headers), body, "application/json"));
}

api_reply api_client::post(const std::string& path, const nlohmann::json& body,
                           const std::vector<std::pair<std::string, std::string>>& headers) {
  return post_text(path, body.dump(), headers);
}

api_reply api_client::del(const std::string& path,
                          const std::vector<std::pair<std::string, std::string>>& headers) {
  return to_reply(client_->Delete(path, to_headers(headers)));
}

}  // namespace order_service::test
