// A store that forwards every call to another store object, which a test can swap while a runner
// uses it: a store restored from a backup under a running service.
#pragma once

#include <atomic>

#include "annal/event_store.hpp"
#include "annal/store_admin.hpp"

namespace annal::test {

/// Forwards to the store it was last given; close() leaves that store open. The stores given
/// must outlive this object. Thread-safe as the stores are.
class swappable_store final : public event_store {
 public:
  explicit swappable_store(event_store& first) : inner_(&first) { set_poll_interval(poll); }
  ~swappable_store() override { close(); }

  /// From now on, calls go to `next`.
  void swap_to(event_store& next) noexcept { inner_.store(&next); }

 private:
  static constexpr std::chrono::milliseconds poll{10};

  event_store& inner() const noexcept { return *inner_.load(); }

  append_result do_append(std::string_view stream_id, expected_version expected,
                          std::span<const event_data> events) override {
    return inner().append(stream_id, expected, events);
  }
  std::vector<recorded_event> do_read_stream(std::string_view stream_id, std::uint64_t from_version,
                                             read_direction direction,
                                             std::size_t max_count) override {
    return inner().read_stream(stream_id, from_version, direction, max_count);
  }
  log_slice do_read_all(std::uint64_t from_position, std::size_t max_count,
                        const read_filter& filter) override {
    return inner().read_all(from_position, max_count, filter);
  }
  append_result do_append_conditional(std::string_view stream_id, expected_version expected,
                                      std::span<const event_data> events,
                                      const append_condition& condition) override {
    return inner().append(stream_id, expected, events, condition);
  }
  query_page do_read_events(const query& q, std::uint64_t after, std::size_t max_count) override {
    return inner().read_events(q, after, max_count);
  }
  std::uint64_t do_stream_version(std::string_view stream_id) override {
    return inner().stream_version(stream_id);
  }
  std::uint64_t do_head_position() override { return inner().head_position(); }
  append_result do_append_recorded(std::span<const recorded_event> events) override {
    return append_recorded(inner(), events);
  }
  std::vector<stream_summary> do_list_streams(std::string_view prefix, std::string_view after,
                                              std::size_t max_count) override {
    return list_streams(inner(), prefix, after, max_count);
  }
  store_description do_describe() override { return describe(inner()); }
  void do_close() override {}
  snapshot_store& do_snapshots() override { return inner().snapshots(); }
  // The inner store seals and unseals personal data.
  detail::key_store* do_keys() override { return nullptr; }
  uuid do_store_id() override { return inner().store_id(); }
  void do_adopt_store_id(const uuid& id) override { adopt_store_id(inner(), id); }

  std::atomic<event_store*> inner_;
};

}  // namespace annal::test
