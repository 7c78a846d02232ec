// The projection runner: validates projections and owns one worker per projection.
#include "annal/projection_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <type_traits>
#include <variant>

#include "annal/error.hpp"
#include "projection/projection_worker.hpp"

namespace annal {

namespace {

bool is_identifier(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  auto word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  return std::all_of(s.begin(), s.end(), word) && !(s[0] >= '0' && s[0] <= '9');
}

bool is_reserved(std::string_view s) {
  std::string lower(s);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.starts_with("annal_") || lower.starts_with("sqlite_");
}

void validate(const projection& p) {
  if (!is_identifier(p.name)) {
    throw invalid_argument(fmt::format(
        "projection name '{}' must be 1 to 64 letters, digits or '_', not starting with a digit",
        p.name));
  }
  bool has_handler = std::visit(
      [](const auto& h) {
        if constexpr (std::is_same_v<std::decay_t<decltype(h)>, std::monostate>) {
          return false;
        } else if constexpr (requires { h.apply; }) {
          return static_cast<bool>(h.apply);
        } else if constexpr (requires { h.deliver; }) {
          return static_cast<bool>(h.deliver);
        } else {
          return static_cast<bool>(h.prepare);
        }
      },
      p.handler);
  if (!has_handler) {
    throw invalid_argument(fmt::format(
        "projection '{}' has no handler: set it to a read_model_handler, read_model_preparer, "
        "sink_handler or sink_preparer with a function",
        p.name));
  }
  if (p.is_read_model() && !p.create_tables) {
    throw invalid_argument(
        fmt::format("projection '{}' is a read model but has no create_tables", p.name));
  }
  if (!p.is_read_model() && !p.tables.empty()) {
    throw invalid_argument(fmt::format("projection '{}' is a sink and cannot own tables", p.name));
  }
  std::set<std::string_view> seen;
  for (const auto& t : p.tables) {
    if (!is_identifier(t) || is_reserved(t)) {
      throw invalid_argument(fmt::format(
          "table '{}' of projection '{}' must be an identifier of at most 64 characters not "
          "starting with annal_ or sqlite_",
          t, p.name));
    }
    if (!seen.insert(t).second) {
      throw invalid_argument(fmt::format("projection '{}' lists table '{}' twice", p.name, t));
    }
  }
}

}  // namespace

struct projection_runner::impl {
  impl(event_store& s, std::string p, runner_options o)
      : store(s), path(std::move(p)), options(o) {}

  event_store& store;
  std::string path;
  runner_options options;
  mutable std::mutex mutex;
  std::vector<std::unique_ptr<projection_detail::projection_worker>> workers;

  projection_detail::projection_worker& find(std::string_view name) const {
    std::lock_guard lock(mutex);
    for (const auto& w : workers) {
      if (w->definition().name == name) return *w;
    }
    throw invalid_argument(fmt::format("no projection named '{}'", name));
  }

  std::vector<projection_detail::projection_worker*> all() const {
    std::lock_guard lock(mutex);
    std::vector<projection_detail::projection_worker*> out;
    for (const auto& w : workers) out.push_back(w.get());
    return out;
  }
};

projection_runner::projection_runner(event_store& store, std::string read_model_path,
                                     runner_options options)
    : impl_(std::make_unique<impl>(store, std::move(read_model_path), options)) {
  if (options.batch_size == 0) throw invalid_argument("runner_options::batch_size must be > 0");
  if (options.leader_retry.count() <= 0) {
    throw invalid_argument("runner_options::leader_retry must be > 0");
  }
  if (options.recovery_backoff.count() <= 0) {
    throw invalid_argument("runner_options::recovery_backoff must be > 0");
  }
  if (options.max_recovery_backoff < options.recovery_backoff) {
    throw invalid_argument(
        "runner_options::max_recovery_backoff must be at least recovery_backoff");
  }
  projection_detail::open_read_model(impl_->path);
}

projection_runner::~projection_runner() { stop(); }

void projection_runner::add(projection p) {
  validate(p);
  std::lock_guard lock(impl_->mutex);
  for (const auto& w : impl_->workers) {
    const projection& other = w->definition();
    if (other.name == p.name) {
      throw invalid_argument(fmt::format("a projection named '{}' is already added", p.name));
    }
    for (const auto& t : p.tables) {
      if (std::find(other.tables.begin(), other.tables.end(), t) != other.tables.end()) {
        throw invalid_argument(
            fmt::format("table '{}' of projection '{}' belongs to '{}'", t, p.name, other.name));
      }
    }
  }
  impl_->workers.push_back(std::make_unique<projection_detail::projection_worker>(
      impl_->store, impl_->path, std::move(p), impl_->options));
}

void projection_runner::start() {
  for (auto* w : impl_->all()) w->start();
}

void projection_runner::start(std::string_view name) { impl_->find(name).start(); }

void projection_runner::stop() {
  for (auto* w : impl_->all()) w->stop();
}

void projection_runner::stop(std::string_view name) { impl_->find(name).stop(); }

void projection_runner::rebuild(std::string_view name, std::uint64_t from_position) {
  impl_->find(name).rebuild(from_position);
}

projection_status projection_runner::status(std::string_view name) const {
  return impl_->find(name).status();
}

std::vector<projection_status> projection_runner::statuses() const {
  std::vector<projection_status> out;
  for (auto* w : impl_->all()) out.push_back(w->status());
  return out;
}

bool projection_runner::wait_until(std::string_view name, std::uint64_t position,
                                   std::chrono::milliseconds timeout) const {
  return impl_->find(name).wait_until(position, timeout);
}

std::vector<dead_letter> projection_runner::dead_letters(std::string_view name) const {
  return impl_->find(name).dead_letters();
}

const std::string& projection_runner::read_model_path() const noexcept { return impl_->path; }

}  // namespace annal
