// The revenue read model: payments and refunds per day and currency.
#pragma once

#include <annal/projection.hpp>
#include <annal/read_model_reader.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace order_service {

/// The projection's name, as the runner and the API know it.
inline constexpr const char* revenue_name = "revenue";

/// The projection that keeps `revenue_day` (per UTC day of the event and currency: orders paid,
/// amount paid, amount refunded) and `revenue_order` (each order's currency and payment, to know
/// what a cancellation refunds).
annal::projection revenue_projection();

/// One day of revenue in one currency.
struct revenue_day {
  /// "YYYY-MM-DD", UTC.
  std::string day;
  std::string currency;
  std::int64_t orders_paid = 0;
  std::int64_t paid_cents = 0;
  /// Payments of orders cancelled that day, after they were paid.
  std::int64_t refunded_cents = 0;
};

/// The days from `from` to `to` (inclusive, "YYYY-MM-DD"; empty means unbounded), oldest first,
/// then by currency. Throws annal::io_error when SQLite fails.
std::vector<revenue_day> revenue_per_day(annal::read_model_reader& reader, const std::string& from,
                                         const std::string& to);

}  // namespace order_service
