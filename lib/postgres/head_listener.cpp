// LISTEN/NOTIFY for wait_for(): a thread that polls its connection's socket for notifications.
#include "postgres/head_listener.hpp"

#include <fmt/format.h>
#include <poll.h>

#include <cerrno>
#include <charconv>

#include "postgres/connection.hpp"
#include "postgres/postgres_store.hpp"

namespace annal::pg {

head_listener::head_listener(std::string conninfo, std::string channel, std::string head_table,
                             std::function<void(std::uint64_t)> on_head,
                             std::function<void(bool)> on_listening,
                             std::function<void()> before_listen)
    : conninfo_(std::move(conninfo)),
      channel_(std::move(channel)),
      head_table_(std::move(head_table)),
      on_head_(std::move(on_head)),
      on_listening_(std::move(on_listening)),
      before_listen_(std::move(before_listen)),
      thread_([this] { run(); }) {}

head_listener::~head_listener() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  stopped_.notify_all();
  thread_.join();
}

bool head_listener::sleep_unless_stopped(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  return !stopped_.wait_for(lock, d, [&] { return stop_.load(); });
}

void head_listener::run() {
  std::chrono::milliseconds backoff{50};
  while (!stop_) {
    try {
      listen_until_dropped();
      backoff = std::chrono::milliseconds{50};
    } catch (const std::exception&) {
      // The server is away or refused us: try again after the backoff.
    }
    on_listening_(false);
    if (!sleep_unless_stopped(backoff)) break;
    backoff = std::min(backoff * 2, std::chrono::milliseconds{2000});
  }
}

void head_listener::listen_until_dropped() {
  if (before_listen_) before_listen_();
  connection c(conninfo_);
  c.exec(fmt::format("SET application_name = 'annal listener {}'; LISTEN {}", channel_,
                     quote_identifier(channel_)));
  // Read the head after LISTEN: an append committed in between is seen one way or the other.
  on_head_(static_cast<std::uint64_t>(
      c.query(fmt::format("SELECT position FROM {}", head_table_).c_str()).int8(0, 0)));
  on_listening_(true);
  pollfd fd{PQsocket(c.handle()), POLLIN, 0};
  while (!stop_) {
    int ready = ::poll(&fd, 1, 100);
    if (ready < 0 && errno != EINTR) return;
    if (ready <= 0) continue;
    if (PQconsumeInput(c.handle()) == 0 || PQstatus(c.handle()) != CONNECTION_OK) return;
    while (PGnotify* n = PQnotifies(c.handle())) {
      std::string_view extra(n->extra);
      std::uint64_t head = 0;
      auto [end, error] = std::from_chars(extra.data(), extra.data() + extra.size(), head);
      if (error == std::errc()) on_head_(head);
      PQfreemem(n);
    }
  }
}

}  // namespace annal::pg
