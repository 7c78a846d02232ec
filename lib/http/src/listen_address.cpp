// Strict parsing of "HOST:PORT" listen addresses.
#include "annal_http/listen_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <stdexcept>

namespace annal::http {
namespace {

constexpr const char* expected =
    "expected HOST:PORT, e.g. 127.0.0.1:8080, [::1]:8080 or localhost:8080";

[[noreturn]] void refuse(std::string_view text, const std::string& why) {
  throw std::invalid_argument("bad listen address '" + std::string(text) + "': " + why + "; " +
                              expected);
}

bool is_ipv4(const std::string& host) {
  in_addr address{};
  return inet_pton(AF_INET, host.c_str(), &address) == 1;
}

bool is_ipv6(const std::string& host) {
  in6_addr address{};
  return inet_pton(AF_INET6, host.c_str(), &address) == 1;
}

// Letters, digits and "-" in labels of 1 to 63 characters separated by single dots.
bool is_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  while (true) {
    auto dot = host.find('.');
    std::string_view label = host.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    bool valid = std::all_of(label.begin(), label.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '-';
    });
    if (!valid) return false;
    if (dot == std::string_view::npos) return true;
    host.remove_prefix(dot + 1);
  }
}

bool only_digits_and_dots(std::string_view host) {
  return std::all_of(host.begin(), host.end(),
                     [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

std::uint16_t parse_port(std::string_view whole, std::string_view port) {
  if (port.empty()) refuse(whole, "the port is missing");
  if (port.size() > 5 || !std::all_of(port.begin(), port.end(),
                                      [](char c) { return c >= '0' && c <= '9'; })) {
    refuse(whole, "the port '" + std::string(port) + "' is not a number from 0 to 65535");
  }
  unsigned value = 0;
  for (char c : port) value = value * 10 + static_cast<unsigned>(c - '0');
  if (value > 65535) refuse(whole, "the port " + std::string(port) + " is above 65535");
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::string listen_address::to_string() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

listen_address parse_listen_address(std::string_view text) {
  listen_address result;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) refuse(text, "the '[' of an IPv6 address is not closed");
    result.host = std::string(text.substr(1, close - 1));
    if (!is_ipv6(result.host)) refuse(text, "'" + result.host + "' is not an IPv6 address");
    rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':') refuse(text, "a ':' and the port must follow ']'");
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) refuse(text, "the port is missing");
    result.host = std::string(text.substr(0, colon));
    rest = text.substr(colon);
    if (result.host.find(':') != std::string::npos) {
      refuse(text, "an IPv6 address goes in brackets, like [::1]:8080");
    }
    if (result.host.empty()) refuse(text, "the host is missing");
    if (only_digits_and_dots(result.host) ? !is_ipv4(result.host) : !is_host_name(result.host)) {
      refuse(text, "'" + result.host + "' is neither an IPv4 address nor a host name");
    }
  }
  result.port = parse_port(text, rest.substr(1));
  return result;
}

}  // namespace annal::http
