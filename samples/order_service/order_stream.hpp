// Where orders live in the log: their stream category, and reading an order's id and time from an
// event.
#pragma once

#include <annal/event.hpp>
#include <string>
#include <string_view>

namespace order_service {

/// The repository category of orders: order `id` lives in the stream "order-<id>".
inline constexpr std::string_view order_category = "order";
/// The prefix of every order stream, for read models that filter the log.
inline constexpr std::string_view order_stream_prefix = "order-";

/// The id of the order whose stream holds `e`.
std::string order_id_of(const annal::recorded_event& e);

/// When the store recorded `e`, as RFC 3339 UTC text ("2026-11-30T02:11:44.084248Z"); its first
/// ten characters are the UTC day.
std::string recorded_at_text(const annal::recorded_event& e);

}  // namespace order_service
