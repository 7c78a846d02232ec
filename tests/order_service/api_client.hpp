// A small JSON client of the order service's HTTP API, for the end-to-end tests and the load check.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace httplib {
class Client;
}

namespace order_service::test {

/// A reply: status code (0 when the request did not get one), headers, and the JSON body (null
/// when the body is empty or not JSON).
struct api_reply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string text;
  nlohmann::json body;

  /// The value of a header, "" when absent (names compare case-insensitively).
  std::string header(const std::string& name) const;
};

/// One keep-alive connection to a server. Not thread-safe: use one client per thread.
class api_client {
 public:
  api_client(const std::string& host, int port);
  ~api_client();
  api_client(api_client&&) noexcept;

  api_reply get(const std::string& path,
                const std::vector<std::pair<std::string, std::string>>& headers = {});
  api_reply post_text(const std::string& path, const std::string& body,
                      const std::vector<std::pair<std::string, std::string>>& headers = {});
  api_reply post(const std::string& path, const nlohmann::json& body,
                 const std::vector<std::pair<std::string, std::string>>& headers = {});
  api_reply del(const std::string& path,
                const std::vector<std::pair<std::string, std::string>>& headers = {});

 private:
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace order_service::test
