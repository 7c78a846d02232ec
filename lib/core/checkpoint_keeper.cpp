// The checkpoint keeper: the tree's right edge kept in memory, extended from the log as stored,
// signed and appended to `$checkpoints`.
#include "annal/checkpoint_keeper.hpp"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "annal/error.hpp"
#include "annal/store_admin.hpp"
#include "core/chain_check.hpp"
#include "core/checkpoint.hpp"
#include "core/log_tree.hpp"
#include "core/merkle_tree.hpp"

namespace annal {
namespace {

// How often the keeper's thread looks at the log when no append wakes it, and so how long stop()
// may wait for it.
constexpr auto idle_wait = std::chrono::milliseconds(200);
// How many times a checkpoint is appended again when other appends take the head first.
constexpr int append_attempts = 100;

struct parsed_payload {
  std::uint64_t size = 0;
  std::vector<detail::sha256_digest> frontier;
  std::string note;
};

parsed_payload parse_payload(const recorded_event& e) {
  auto where = [&] { return fmt::format("{} position {}", checkpoint_stream, e.position); };
  auto json = nlohmann::json::parse(e.payload, nullptr, false);
  parsed_payload p;
  bool ok = json.is_object() && json.contains("size") && json["size"].is_number_unsigned() &&
            json.contains("note") && json["note"].is_string() && json.contains("frontier") &&
            json["frontier"].is_array();
  if (ok) {
    p.size = json["size"].get<std::uint64_t>();
    p.note = json["note"].get<std::string>();
    for (const auto& node : json["frontier"]) {
      detail::sha256_digest digest{};
      ok = ok && node.is_string() && detail::from_hex(node.get<std::string>(), digest);
      p.frontier.push_back(digest);
    }
  }
  if (!ok || e.type != checkpoint_event_type) {
    throw corruption(where(), -1, "not a checkpoint a checkpoint_keeper kept");
  }
  return p;
}

}  // namespace

struct checkpoint_keeper::state {
  event_store& store;
  std::unique_ptr<detail::checkpoint_signer> signer;
  checkpoint_keeper_options options;
  detail::chain_source* links = nullptr;

  std::mutex mutex;  // the frontier and what follows it
  detail::merkle_frontier frontier;
  std::uint64_t last_kept_position = 0;

  std::atomic<bool> stopping{false};
  std::mutex stop_mutex;  // one stop() joins the thread
  std::thread thread;

  state(event_store& s, std::string_view key, checkpoint_keeper_options o)
      : store(s), signer(detail::parse_signer_key(key)), options(std::move(o)) {}

  std::string sign_now() {
    std::lock_guard lock(mutex);
    std::uint64_t head = store.head_position();
    detail::extend_log_tree(store, frontier, head);
    detail::checkpoint c{detail::log_origin(store), head, frontier.root()};
    std::string note = signer->sign(c);
    nlohmann::json frontier_json = nlohmann::json::array();
    for (const auto& node : frontier.nodes()) frontier_json.push_back(detail::to_hex(node));
    recorded_event kept;
    kept.stream_id = std::string(checkpoint_stream);
    kept.type = std::string(checkpoint_event_type);
    kept.id = uuid::v7();
    kept.payload = nlohmann::json{
        {"size", head},
        {"root", detail::to_hex(c.root)},
        {"frontier", frontier_json},
        {"note", note}}.dump();
    kept.timestamp =
        std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    // A checkpoint names its own place: it goes at the head as a recorded event (the public
    // append refuses annal's own types), again when another append took the head first.
    for (int attempt = 1;; ++attempt) {
      kept.position = store.head_position() + 1;
      kept.stream_version = store.stream_version(checkpoint_stream) + 1;
      try {
        append_recorded(store, std::span(&kept, 1));
        break;
      } catch (const error&) {
        bool head_moved = store.head_position() + 1 != kept.position ||
                          store.stream_version(checkpoint_stream) + 1 != kept.stream_version;
        if (!head_moved || attempt == append_attempts) throw;
        std::this_thread::sleep_for(std::chrono::microseconds(100 * attempt));
      }
    }
    last_kept_position = kept.position;
    return note;
  }

  // Batches appended after the last kept checkpoint, counted up to `limit`.
  std::uint64_t batches_since_kept(std::uint64_t limit) {
    std::uint64_t from;
    {
      std::lock_guard lock(mutex);
      from = last_kept_position + 1;
    }
    return links->read_batch_links(from, limit).size();
  }

  void report(const std::string& message) noexcept {
    try {
      if (options.on_error) {
        options.on_error(message);
        return;
      }
    } catch (...) {
      // The caller's handler failed: the message goes where it goes without one.
    }
    std::fprintf(stderr, "annal: checkpoint keeper: %s\n", message.c_str());
  }

  // Takes the tree's right edge from the last kept checkpoint when this keeper's key signed it
  // for this log and the edge gives the signed root; otherwise the next checkpoint reads the
  // whole log (a checkpoint of another key, or an event someone else wrote, is not trusted).
  void resume_from(const recorded_event& last) {
    try {
      auto kept = parse_payload(last);
      auto c = detail::verify_checkpoint(kept.note, signer->name(), signer->public_key());
      detail::merkle_frontier edge(kept.size, std::move(kept.frontier));
      if (c.origin == detail::log_origin(store) && c.size == kept.size &&
          kept.size < last.position && edge.root() == c.root) {
        frontier = std::move(edge);
        return;
      }
    } catch (const error&) {
      // Not a checkpoint of this keeper's: reported below.
    }
    report(
        fmt::format("the checkpoint kept at position {} is not one this key signed for this "
                    "log; the next checkpoint reads the whole log",
                    last.position));
  }

  void run() {
    while (!stopping.load()) {
      std::uint64_t head = 0;
      try {
        head = store.head_position();
        if (batches_since_kept(options.every_batches) >= options.every_batches) {
          sign_now();
          continue;
        }
        store.wait_for(head + 1, idle_wait);
      } catch (const store_closed&) {
        return;
      } catch (const std::exception& e) {
        report(e.what());
        // Again after the next batch, not at once.
        try {
          while (!stopping.load() && store.head_position() <= head) {
            store.wait_for(head + 1, idle_wait);
          }
        } catch (const std::exception&) {
          return;
        }
      }
    }
  }
};

checkpoint_keeper::checkpoint_keeper(event_store& store, std::string_view signer_key,
                                     checkpoint_keeper_options options)
    : state_(std::make_unique<state>(store, signer_key, std::move(options))) {
  if (state_->options.every_batches != 0) {
    state_->links = dynamic_cast<detail::chain_source*>(&store);
    if (state_->links == nullptr) {
      throw invalid_argument(
          "this store keeps no hash chain to count batches by: sign checkpoints with sign_now()");
    }
  }
  auto last = store.read_stream(checkpoint_stream, end_of_stream, read_direction::backward, 1);
  if (!last.empty()) {
    state_->last_kept_position = last.front().position;
    state_->resume_from(last.front());
  }
  if (state_->options.every_batches != 0) {
    state_->thread = std::thread([s = state_.get()] { s->run(); });
  }
}

checkpoint_keeper::~checkpoint_keeper() { stop(); }

std::string checkpoint_keeper::sign_now() { return state_->sign_now(); }

void checkpoint_keeper::stop() noexcept {
  state_->stopping.store(true);
  std::lock_guard lock(state_->stop_mutex);
  if (state_->thread.joinable()) state_->thread.join();
}

std::vector<kept_checkpoint> kept_checkpoints(event_store& store) {
  std::vector<kept_checkpoint> out;
  for (const auto& e : store.read_stream(checkpoint_stream)) {
    auto p = parse_payload(e);
    out.push_back({e.position, p.size, std::move(p.note)});
  }
  return out;
}

}  // namespace annal
