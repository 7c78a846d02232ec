// Reading an order's id and time from its events.
#include "order_stream.hpp"

#include <annal/json.hpp>

namespace order_service {

std::string order_id_of(const annal::recorded_event& e) {
  return e.stream_id.substr(order_stream_prefix.size());
}

std::string recorded_at_text(const annal::recorded_event& e) {
  return annal::to_json_value(e.timestamp).get<std::string>();
}

}  // namespace order_service
