// The application layer: runs commands against the Order and Customer repositories.
#pragma once

#include <annal/annal.hpp>
#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "customer.hpp"
#include "domain_error.hpp"
#include "order.hpp"
#include "order_commands.hpp"

namespace order_service {

/// An aggregate's id together with its state and version.
template <class State>
struct identified {
  std::string id;
  annal::versioned<State> current;
};

/// Every use case of the order service, independent of HTTP: the API, the seeder and the tests
/// all go through it.
///
/// Commands throw domain_error (see error_kind) when refused, and let annal's errors through
/// when the store fails; annal::wrong_expected_version escapes only when a command without an
/// expected version kept conflicting past the retry limit. Nothing is written when a command is
/// refused.
///
/// Concurrency: commands on one aggregate through one service object run one at a time (a
/// lock striped by stream id), so requests to the same order never conflict with each other in
/// this process and never spend their retries on each other; conflicts with other writers of
/// the store (another process on a shared SQLite file, another service object) are retried.
///
/// Thread safety: every member may be called from any number of threads at once. Lifetime: the
/// store must outlive the service.
class service {
 public:
  using order_repository = annal::repository<order, order_event>;
  using customer_repository = annal::repository<customer, customer_event>;

  /// Orders live in the streams "order-<id>", customers in "customer-<id>".
  explicit service(annal::event_store& store, const annal::repository_options& options = {});

  /// Registers a customer under a fresh id, the subject of its personal data.
  identified<customer> register_customer(const register_customer& command,
                                         const annal::event_metadata& metadata = {});
  /// Throws domain_error not_found ("customer_not_found") for an unknown id.
  annal::versioned<customer> get_customer(std::string_view id) const;
  /// GDPR erasure: forgets the customer's key (annal::event_store::forget), after which the
  /// customer's name and email read as erased everywhere. Forgetting a forgotten customer does
  /// nothing. Throws domain_error not_found ("customer_not_found") for an unknown id.
  void forget_customer(std::string_view id);

  /// Creates an order under a fresh id. Touches two streams: the customer's stream first (the
  /// customer must exist; the order is recorded there, retried on conflict), then the new order's
  /// stream, which cannot conflict because its id is new. Both events carry `metadata`.
  identified<order> create_order(const create_order& command,
                                 const annal::event_metadata& metadata = {});

  /// The order's current state. Throws domain_error not_found ("order_not_found").
  annal::versioned<order> get_order(std::string_view id) const;
  /// Time travel: the order as it was at stream version `version` (1 = just created). Throws
  /// domain_error invalid (field "version") for 0, not_found ("order_not_found",
  /// "version_not_found") when the order or that version does not exist.
  annal::versioned<order> get_order_at(std::string_view id, std::uint64_t version) const;
  /// Every event of the order, oldest first. Throws domain_error not_found.
  std::vector<annal::recorded_event> order_history(std::string_view id) const;

  /// Runs a command on order `id`: loads it, decides, appends the events.
  ///
  /// With `expected_version` (an If-Match), the order must be at exactly that version when
  /// loaded and when appended, or the command fails with domain_error stale_version and writes
  /// nothing. Without it, a conflicting append is retried on the reloaded order (up to
  /// repository_options::max_retries times).
  template <class Command>
  annal::versioned<order> execute(std::string_view id, const Command& command,
                                  std::optional<std::uint64_t> expected_version = std::nullopt,
                                  const annal::event_metadata& metadata = {}) {
    require_known_id(id, "order_not_found");
    std::lock_guard lock(stripe(orders_.stream_id(id)));
    if (!expected_version) {
      return orders_
          .update(
              id, [&](const order& o) { return decide(o, command); }, metadata)
          .after;
    }
    if (*expected_version == 0) {  // no order is ever at version 0: the If-Match is stale
      std::uint64_t actual = orders_.load(id).version;
      if (actual == 0) throw order_not_found();
      throw stale_version(0, actual);
    }
    try {
      return orders_
          .update(
              id, *expected_version, [&](const order& o) { return decide(o, command); }, metadata)
          .after;
    } catch (const annal::wrong_expected_version& conflict) {
      if (conflict.actual_version() == 0) throw order_not_found();
      throw stale_version(*expected_version, conflict.actual_version());
    }
  }

  annal::event_store& store() const noexcept { return orders_.store(); }
  const order_repository& orders() const noexcept { return orders_; }

 private:
  static domain_error order_not_found();
  // The lock of the stripe that `stream` falls in.
  std::mutex& stripe(std::string_view stream);
  // Ids in URLs are UUIDs; anything that could not be one is reported as not found.
  static void require_known_id(std::string_view id, const char* code);

  order_repository orders_;
  customer_repository customers_;
  std::array<std::mutex, 64> stripes_;
};

}  // namespace order_service
