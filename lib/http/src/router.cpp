// Route matching by method and path segments, with "{name}" parameters.
#include "annal_http/router.hpp"

#include <algorithm>
#include <stdexcept>

#include "url.hpp"

namespace annal::http {
namespace {

// "/a/b/" -> {"a", "b", ""}; "/" -> {}.
std::vector<std::string_view> split_segments(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path.size() <= 1) return segments;
  path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

}  // namespace

void router::add(std::string method, std::string_view pattern, handler h) {
  if (method.empty()) throw std::invalid_argument("a route needs a method");
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("a route pattern starts with /: " + std::string(pattern));
  }
  route r{std::move(method), {}, std::move(h)};
  for (std::string_view text : split_segments(pattern)) {
    bool parameter = !text.empty() && text.front() == '{';
    if (parameter) {
      if (text.size() < 3 || text.back() != '}') {
        throw std::invalid_argument("malformed parameter in route pattern " + std::string(pattern));
      }
      text = text.substr(1, text.size() - 2);
      for (const auto& s : r.segments) {
        if (s.parameter && s.text == text) {
          throw std::invalid_argument("parameter {" + std::string(text) + "} named twice in " +
                                      std::string(pattern));
        }
      }
    } else if (text.empty()) {
      throw std::invalid_argument("empty segment in route pattern " + std::string(pattern));
    }
    r.segments.push_back({std::string(text), parameter});
  }
  routes_.push_back(std::move(r));
}

route_match router::match(std::string_view method, std::string_view path) const {
  route_match found;
  std::vector<std::string_view> allowed;
  std::vector<std::string> decoded;
  for (std::string_view raw : split_segments(path)) {
    auto segment = detail::percent_decode(raw, false);
    if (!segment) {
      found.result = route_match::outcome::bad_path;
      return found;
    }
    decoded.push_back(std::move(*segment));
  }
  for (const auto& r : routes_) {
    if (r.segments.size() != decoded.size()) continue;
    std::vector<std::pair<std::string, std::string>> params;
    bool matches = true;
    for (std::size_t i = 0; i < decoded.size() && matches; ++i) {
      if (r.segments[i].parameter) {
        matches = !decoded[i].empty();
        params.emplace_back(r.segments[i].text, decoded[i]);
      } else {
        matches = r.segments[i].text == decoded[i];
      }
    }
    if (!matches) continue;
    if (r.method != method) {
      if (std::find(allowed.begin(), allowed.end(), r.method) == allowed.end()) {
        allowed.push_back(r.method);
      }
      continue;
    }
    found.result = route_match::outcome::found;
    found.target = &r.h;
    found.params = std::move(params);
    return found;
  }
  if (!allowed.empty()) {
    found.result = route_match::outcome::method_not_allowed;
    for (auto m : allowed) found.allowed += (found.allowed.empty() ? "" : ", ") + std::string(m);
  }
  return found;
}

}  // namespace annal::http
