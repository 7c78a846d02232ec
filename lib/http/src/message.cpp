// Header and parameter lookups of requests and responses.
#include "annal_http/message.hpp"

#include <stdexcept>
#include <strings.h>

namespace annal::http {
namespace {

bool same_name(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

const std::string* find_header(const header_list& headers, std::string_view name) noexcept {
  for (const auto& [key, value] : headers) {
    if (same_name(key, name)) return &value;
  }
  return nullptr;
}

std::size_t request::header_count(std::string_view name) const noexcept {
  std::size_t count = 0;
  for (const auto& field : headers) count += same_name(field.first, name) ? 1 : 0;
  return count;
}

std::size_t request::query_count(std::string_view name) const noexcept {
  std::size_t count = 0;
  for (const auto& [key, value] : query) count += key == name ? 1 : 0;
  return count;
}

std::optional<std::string_view> request::query_param(std::string_view name) const noexcept {
  for (const auto& [key, value] : query) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

const std::string& request::path_param(std::string_view name) const {
  for (const auto& [key, value] : path_params) {
    if (key == name) return value;
  }
  throw std::out_of_range("the route has no path parameter " + std::string(name));
}

void response::set_header(std::string_view name, std::string value) {
  std::erase_if(headers, [&](const auto& field) { return same_name(field.first, name); });
  headers.emplace_back(std::string(name), std::move(value));
}

response make_response(int status, std::string body, std::string content_type) {
  response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", std::move(content_type));
  return r;
}

}  // namespace annal::http
