// The order summaries read model: one row per order for listings, by status, in creation order.
#pragma once

#include <annal/projection.hpp>
#include <annal/read_model_reader.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace order_service {

/// The projection's name, as the runner and the API know it.
inline constexpr const char* order_summaries_name = "order_summaries";

/// The projection that keeps the tables `order_summary` (one row per order) and `order_line`
/// (its lines, to keep totals exact as items come and go) from the order events.
annal::projection order_summaries_projection();

/// One row of the listing.
struct order_summary {
  std::string id;
  std::string customer_id;
  std::string currency;
  std::string status;
  std::int64_t item_count = 0;
  std::int64_t total_cents = 0;
  /// RFC 3339 UTC times of the order's first and latest events.
  std::string created_at;
  std::string updated_at;
  /// The global position of the order's creation: the listing's order and paging cursor.
  std::uint64_t position = 0;
};

/// A page of the listing and the cursor of the next page (none after the last page).
struct order_summary_page {
  std::vector<order_summary> orders;
  std::optional<std::uint64_t> next_after;
};

/// Orders created after position `after` (0: from the first), oldest first, at most `limit`,
/// only those with `status` when it is not empty. Throws annal::io_error when SQLite fails.
order_summary_page list_orders(annal::read_model_reader& reader, const std::string& status,
                               std::uint64_t after, std::size_t limit);

}  // namespace order_service
