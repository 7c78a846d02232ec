// annal query: the events a query across streams matches (docs/dcb.md), as read prints them.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "annal/error.hpp"
#include "annal/query.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace annal::cli {
namespace {

constexpr std::size_t page_size = 1000;

// The strings of member `name` of an --item object: absent is none.
std::vector<std::string> strings_of(const nlohmann::json& item, const char* name) {
  std::vector<std::string> values;
  auto it = item.find(name);
  if (it == item.end()) return values;
  if (!it->is_array()) {
    throw usage_error(fmt::format("--item: \"{}\" must be an array of strings", name));
  }
  for (const auto& value : *it) {
    if (!value.is_string()) {
      throw usage_error(fmt::format("--item: \"{}\" must be an array of strings", name));
    }
    values.push_back(value.get<std::string>());
  }
  return values;
}

query_item parse_item(const std::string& text) {
  auto item = nlohmann::json::parse(text, nullptr, false);
  if (item.is_discarded() || !item.is_object()) {
    throw usage_error("--item must be a JSON object such as {\"types\":[\"a\"],\"tags\":[\"b\"]}");
  }
  for (const auto& [name, value] : item.items()) {
    if (name != "types" && name != "tags") {
      throw usage_error(fmt::format("--item: unknown member \"{}\" (types, tags)", name));
    }
  }
  return query_item{strings_of(item, "types"), strings_of(item, "tags")};
}

}  // namespace

query make_query(const query_request& request) {
  std::vector<query_item> items;
  for (const auto& text : request.items) items.push_back(parse_item(text));
  if (!request.types.empty() || !request.tags.empty()) {
    items.push_back(query_item{request.types, request.tags});
  }
  if (items.empty()) throw usage_error("query needs --item, --type or --tag (or --all)");
  try {
    return query::of(std::move(items));
  } catch (const invalid_argument& e) {
    throw usage_error(std::string(message_of(e)));
  }
}

int run_query(const query_request& request) {
  query q = request.all ? query::all() : make_query(request);
  auto store = open_existing_store(request.store);
  stdout_buffer out;
  event_printer printer(out, request.format);
  std::optional<std::uint64_t> remaining = request.limit;
  std::uint64_t after = request.after;
  for (;;) {
    std::size_t count =
        remaining ? static_cast<std::size_t>(std::min<std::uint64_t>(*remaining, page_size))
                  : page_size;
    query_page page = store->read_events(q, after, count);
    printer.print(page.events);
    if (remaining) *remaining -= page.events.size();
    if (page.events.size() < count || (remaining && *remaining == 0)) break;
    after = page.events.back().position;
  }
  return exit_ok;
}

}  // namespace annal::cli
