// Walking the hash chain batch by batch beside the log's events, as stored.
#include "core/chain_check.hpp"

#include <fmt/format.h>

#include "annal/error.hpp"
#include "annal/store_admin.hpp"
#include "core/batch_chain.hpp"

namespace annal::detail {
namespace {

// The log's events in position order, a page at a time.
class event_cursor {
 public:
  explicit event_cursor(event_store& store) noexcept : store_(store) {}

  // The events at positions first to last, or fewer when the log does not hold them all in
  // order (the caller reports where it differs).
  std::vector<recorded_event> take(std::uint64_t first, std::uint64_t last) {
    std::vector<recorded_event> out;
    std::uint64_t want = first;
    while (want <= last) {
      if (index_ == page_.size()) {
        // The first batch after a jump (retention) starts where the page does not.
        page_ = read_stored_log(store_, want, 10000).events;
        index_ = 0;
        if (page_.empty()) break;
      }
      recorded_event& e = page_[index_];
      if (e.position < want) {
        ++index_;
        continue;
      }
      if (e.position != want) break;
      out.push_back(std::move(e));
      ++index_;
      ++want;
    }
    return out;
  }

 private:
  event_store& store_;
  std::vector<recorded_event> page_;
  std::size_t index_ = 0;
};

}  // namespace

chain_report check_chain(event_store& store) {
  auto* source = dynamic_cast<chain_source*>(&store);
  if (source == nullptr) throw invalid_argument("this store keeps no hash chain");
  const std::uint64_t head = store.head_position();
  chain_report report;
  event_cursor events(store);
  sha256_digest previous = chain_start;
  bool anchored = false;
  std::uint64_t expected_first = 1;
  auto broken = [&](stored_batch_link batch, std::string problem) {
    report.broken = std::move(batch);
    report.problem = std::move(problem);
    return report;
  };
  std::uint64_t from = 1;
  while (expected_first <= head) {
    auto batches = source->read_batch_links(from, 1000);
    if (batches.empty()) break;
    for (auto& batch : batches) {
      if (batch.first_position > head) {
        // Appended since the check began, or left behind by events removed from the log's end.
        std::uint64_t now = store.head_position();
        if (now >= batch.last_position) return report;
        return broken(std::move(batch),
                      fmt::format("the chain links positions past the log's head {}: events "
                                  "were removed from the log's end",
                                  now));
      }
      if (!anchored && batch.first_position != 1) {
        // Retention deleted the log's start: the first stored link vouches for what follows.
        if (!batch.link) {
          ++(batch.link_pending ? report.batches_awaiting_link : report.batches_without_link);
          expected_first = batch.last_position + 1;
          report.first_position = expected_first;
          continue;
        }
        previous = *batch.link;
        anchored = true;
        expected_first = batch.last_position + 1;
        report.first_position = expected_first;
        continue;
      }
      anchored = true;
      if (batch.first_position != expected_first || batch.last_position < batch.first_position) {
        return broken(std::move(batch),
                      fmt::format("the chain's next batch starts at position {}, not {}: a batch "
                                  "was removed, inserted or moved",
                                  batch.first_position, expected_first));
      }
      auto stored = events.take(batch.first_position, batch.last_position);
      if (stored.size() != batch.last_position - batch.first_position + 1) {
        return broken(std::move(batch),
                      fmt::format("the log does not hold position {}, which the batch's link "
                                  "covers: events were removed or moved",
                                  batch.first_position + stored.size()));
      }
      sha256_digest computed = stored_link(previous, stored);
      if (batch.link && *batch.link != computed) {
        std::string problem = report.batches_without_link != 0 &&
                                      report.batches_checked == report.batches_without_link
                                  ? "the batch's link does not follow from the batches before "
                                    "it, written before links were stored: one of them or this "
                                    "batch was changed"
                                  : "the batch's link does not follow from its events and the "
                                    "link before it: an event, its metadata or the link was "
                                    "changed";
        return broken(std::move(batch), problem);
      }
      if (!batch.link)
        ++(batch.link_pending ? report.batches_awaiting_link : report.batches_without_link);
      previous = computed;
      ++report.batches_checked;
      report.events_checked += stored.size();
      expected_first = batch.last_position + 1;
    }
    from = batches.back().last_position + 1;
  }
  if (expected_first <= head) {
    stored_batch_link missing;
    missing.first_position = expected_first;
    missing.last_position = head;
    return broken(std::move(missing),
                  fmt::format("events {} to {} have no link in the chain: a batch's link was "
                              "removed",
                              expected_first, head));
  }
  return report;
}

}  // namespace annal::detail
