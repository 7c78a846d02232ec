// The order service's deploy checks: annal's compatibility check over its two event variants.
#include "store_check.hpp"

#include <annal/compatibility.hpp>
#include <annal/open_store.hpp>
#include <filesystem>
#include <stdexcept>

#include "customer.hpp"
#include "order.hpp"

namespace order_service {

std::vector<std::string> readable_event_types() {
  return annal::readable_types<order_event, customer_event>();
}

namespace {

// A check of a store that is not there would create an empty one and find nothing wrong.
void require_existing(const std::string& store_uri) {
  for (std::string scheme : {"sqlite:", "segment:"}) {
    if (!store_uri.starts_with(scheme)) continue;
    std::string path = store_uri.substr(scheme.size(), store_uri.find('?') - scheme.size());
    if (!std::filesystem::exists(path)) throw std::runtime_error("no store at " + store_uri);
  }
}

}  // namespace

int check_store(const std::string& store_uri, bool every_event, std::FILE* out) {
  require_existing(store_uri);
  auto store = annal::open_store(store_uri);
  annal::compatibility_options options;
  options.decode_every_event = every_event;
  auto report = annal::check_compatibility<order_event, customer_event>(*store, options);
  store->close();
  for (const auto& t : report.types) {
    const char* how = t.path == annal::read_path::direct   ? "read"
                      : t.path == annal::read_path::upcast ? "read through upcasters"
                                                           : "NOT READ: no event type or upcaster";
    std::fprintf(out, "%s v%u: %llu events, %s", t.stored.type.c_str(), t.stored.type_version,
                 static_cast<unsigned long long>(t.stored.count), how);
    if (!t.error.empty()) {
      std::fprintf(out, "; FAILS at position %llu: %s",
                   static_cast<unsigned long long>(t.failed_position), t.error.c_str());
    }
    std::fputc('\n', out);
  }
  auto problems = report.problems();
  std::fprintf(out, "%s: %zu of %zu stored types the service cannot read\n",
               problems.empty() ? "ok" : "not ok", problems.size(), report.types.size());
  return problems.empty() ? 0 : 1;
}

}  // namespace order_service
