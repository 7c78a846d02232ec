// Raw HTTP test connections over POSIX sockets.
#include "support/raw_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>

namespace annal::test {

std::string raw_reply::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
      return value;
    }
  }
  return "";
}

raw_connection::raw_connection(int port, const std::string& host) {
  bool v6 = host.find(':') != std::string::npos;
  fd_ = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int rc = 0;
  if (v6) {
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET6, host.c_str(), &address.sin6_addr);
    rc = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
  } else {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET, host.c_str(), &address.sin_addr);
    rc = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
  }
  if (rc != 0) {
    int error = errno;
    close(fd_);
    fd_ = -1;
    throw std::system_error(error, std::generic_category(), "connect to port " + std::to_string(port));
  }
}

raw_connection::~raw_connection() {
  if (fd_ >= 0) close(fd_);
}

raw_connection::raw_connection(raw_connection&& other) noexcept
    : fd_(other.fd_), pending_(std::move(other.pending_)) {
  other.fd_ = -1;
}

bool raw_connection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool raw_connection::fill(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  int ready = poll(&p, 1, static_cast<int>(left.count()));
  if (ready <= 0) return false;
  char buffer[65536];
  ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
  if (n <= 0) return false;
  pending_.append(buffer, static_cast<std::size_t>(n));
  return true;
}

std::optional<raw_reply> raw_connection::read_reply(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t header_end = 0;
  while ((header_end = pending_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(deadline)) return std::nullopt;
  }
  raw_reply reply;
  std::string_view head(pending_.data(), header_end);
  auto line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  auto space = status_line.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  reply.status = std::atoi(std::string(status_line.substr(space + 1, 3)).c_str());
  head = line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
  while (!head.empty()) {
    auto end = head.find("\r\n");
    std::string_view field = head.substr(0, end);
    auto colon = field.find(':');
    if (colon != std::string_view::npos) {
      std::string_view value = field.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      reply.headers.emplace_back(std::string(field.substr(0, colon)), std::string(value));
    }
    head = end == std::string_view::npos ? std::string_view() : head.substr(end + 2);
  }
  std::size_t length = std::strtoull(reply.header("Content-Length").c_str(), nullptr, 10);
  std::size_t body_start = header_end + 4;
  while (pending_.size() < body_start + length) {
    if (!fill(deadline)) return std::nullopt;
  }
  reply.body = pending_.substr(body_start, length);
  pending_.erase(0, body_start + length);
  return reply;
}

bool raw_connection::wait_closed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::max<long>(left.count(), 0))) <= 0) return false;
    char buffer[65536];
    ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) return true;
  }
  return false;
}

bool raw_connection::closed_by_peer() {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0) return false;
  char byte = 0;
  ssize_t n = recv(fd_, &byte, 1, MSG_PEEK);
  return n <= 0;
}

slow_header_clients::slow_header_clients(int port, int count, const std::string& target,
                                         std::chrono::milliseconds pace)
    : pace_(pace) {
  for (int i = 0; i < count; ++i) {
    clients_.emplace_back(port);
    clients_.back().send("GET " + target + " HTTP/1.1\r\nHost: t\r\nX-Slow: ");
  }
  thread_ = std::thread([this] {
    while (!stop_) {
      for (auto& c : clients_) c.send("x");
      std::this_thread::sleep_for(pace_);  // the attack's pace, not a wait for an event
    }
  });
}

slow_header_clients::~slow_header_clients() { stop(); }

void slow_header_clients::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::size_t slow_header_clients::closed_by_peer() {
  stop();
  std::size_t closed = 0;
  for (auto& c : clients_) closed += c.closed_by_peer() ? 1 : 0;
  return closed;
}

std::size_t raise_open_file_limit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

}  // namespace annal::test
