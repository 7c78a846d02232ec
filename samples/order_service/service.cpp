// The order service's use cases over the Order and Customer repositories.
#include "service.hpp"

#include <algorithm>
#include <functional>

#include "order_stream.hpp"

namespace order_service {

service::service(annal::event_store& store, const annal::repository_options& options)
    : orders_(store, std::string(order_category), options),
      customers_(store, "customer", options) {}

domain_error service::order_not_found() {
  return domain_error(error_kind::not_found, "order_not_found", "the order does not exist");
}

std::mutex& service::stripe(std::string_view stream) {
  return stripes_[std::hash<std::string_view>{}(stream) % stripes_.size()];
}

void service::require_known_id(std::string_view id, const char* code) {
  bool plausible = !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '_' || c == '.';
  });
  if (!plausible) {
    throw domain_error(error_kind::not_found, code, "no such id: the id is malformed");
  }
}

identified<customer> service::register_customer(const order_service::register_customer& command,
                                                const annal::event_metadata& metadata) {
  std::string id = annal::uuid::v7().to_string();
  auto events = decide(customer{}, command);
  annal::event_metadata with_subject = metadata;
  with_subject.subject = id;
  auto appended = customers_.save(id, 0, events, with_subject);
  return {id, {annal::fold(customer{}, events), appended.next_expected_version}};
}

annal::versioned<customer> service::get_customer(std::string_view id) const {
  require_known_id(id, "customer_not_found");
  auto loaded = customers_.load(id);
  if (loaded.version == 0) {
    throw domain_error(error_kind::not_found, "customer_not_found", "the customer does not exist");
  }
  return loaded;
}

void service::forget_customer(std::string_view id) {
  get_customer(id);
  customers_.store().forget(id);
}

identified<order> service::create_order(const order_service::create_order& command,
                                        const annal::event_metadata& metadata) {
  // Validate the order before touching the customer, so a bad request writes nothing.
  auto events = decide(order{}, command);
  std::string id = annal::uuid::v7().to_string();
  // The customer id was validated by decide() above, so it is a valid part of a stream id.
  customers_.update(
      command.customer_id, [&](const customer& c) { return decide(c, place_order{id}); }, metadata);
  auto appended = orders_.save(id, 0, events, metadata);
  return {id, {annal::fold(order{}, events), appended.next_expected_version}};
}

annal::versioned<order> service::get_order(std::string_view id) const {
  require_known_id(id, "order_not_found");
  auto loaded = orders_.load(id);
  if (loaded.version == 0) throw order_not_found();
  return loaded;
}

annal::versioned<order> service::get_order_at(std::string_view id, std::uint64_t version) const {
  if (version == 0) throw invalid_field("version", "version must be 1 or more");
  require_known_id(id, "order_not_found");
  auto loaded = orders_.load_at_version(id, version);
  if (loaded.version == 0) throw order_not_found();
  if (loaded.version < version) {
    throw domain_error(error_kind::not_found, "version_not_found",
                       "the order has only " + std::to_string(loaded.version) + " versions");
  }
  return loaded;
}

std::vector<annal::recorded_event> service::order_history(std::string_view id) const {
  require_known_id(id, "order_not_found");
  auto events = orders_.store().read_stream(orders_.stream_id(id));
  if (events.empty()) throw order_not_found();
  return events;
}

}  // namespace order_service
