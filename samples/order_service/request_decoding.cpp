// Strict decoding of request bodies, headers and query parameters.
#include "request_decoding.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>

#include "bounded_json.hpp"

namespace order_service {

nlohmann::json body_json(const annal::http::request& req) {
  nlohmann::json json;
  try {
    json = parse_bounded_json<nlohmann::json>(req.body.empty() ? "{}" : req.body,
                                              annal::max_payload_nesting);
  } catch (const json_refused& e) {
    switch (e.why()) {
      case json_refused::reason::malformed:
        throw domain_error(error_kind::invalid, "invalid_json", "the body is not valid JSON",
                           "body");
      case json_refused::reason::too_deep:
        throw domain_error(error_kind::invalid, "invalid_json",
                           "the body is nested deeper than " +
                               std::to_string(annal::max_payload_nesting) + " levels",
                           "body");
      case json_refused::reason::number_out_of_range: {
        std::string field = e.location().empty() ? "body" : e.location();
        throw invalid_field(field, field + ": the number is out of range");
      }
    }
  }
  if (!json.is_object()) throw invalid_field("body", "the body must be a JSON object");
  return json;
}

std::optional<std::uint64_t> if_match(const annal::http::request& req) {
  std::size_t given = req.header_count("If-Match");
  if (given == 0) return std::nullopt;
  const std::string example = "If-Match must be one ETag this API returned, like \"3\"";
  if (given > 1) throw invalid_field("If-Match", example + ", given once");
  std::string value = *req.header("If-Match");
  if (value.empty()) throw invalid_field("If-Match", "If-Match is empty; " + example);
  if (value == "*") return std::nullopt;
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  std::uint64_t version = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), version);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
    throw invalid_field("If-Match", example);
  }
  return version;
}

std::uint64_t number_param(std::string_view text, const std::string& field, std::uint64_t max) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > max) {
    throw invalid_field(field, field + " must be an integer from 0 to " + std::to_string(max));
  }
  return value;
}

void check_query_names(const annal::http::request& req, const std::vector<std::string>& allowed) {
  for (const auto& [name, value] : req.query) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      throw invalid_field(name, "unknown query parameter " + name);
    }
    if (req.query_count(name) > 1) throw invalid_field(name, name + " is given more than once");
  }
}

std::string query_params::text(std::string_view name, std::string fallback) const {
  auto value = req_.query_param(name);
  return value ? std::string(*value) : std::move(fallback);
}

std::uint64_t query_params::integer(std::string_view name, std::uint64_t fallback,
                                    std::uint64_t min, std::uint64_t max) const {
  auto value = req_.query_param(name);
  if (!value) return fallback;
  std::string field(name);
  std::uint64_t number = number_param(*value, field, max);
  if (number < min) {
    throw invalid_field(field, field + " must be an integer from " + std::to_string(min) + " to " +
                                   std::to_string(max));
  }
  return number;
}

std::string query_params::day(std::string_view name) const {
  auto value = req_.query_param(name);
  if (!value) return "";
  std::string_view text = *value;
  std::string field(name);
  auto digits = [&](std::size_t from, std::size_t count, int& out) {
    auto [end, ec] = std::from_chars(text.data() + from, text.data() + from + count, out);
    return ec == std::errc() && end == text.data() + from + count &&
           std::all_of(text.begin() + from, text.begin() + from + count,
                       [](char c) { return c >= '0' && c <= '9'; });
  };
  int year = 0;
  int month = 0;
  int day = 0;
  bool ok = text.size() == 10 && text[4] == '-' && text[7] == '-' && digits(0, 4, year) &&
            digits(5, 2, month) && digits(8, 2, day) &&
            std::chrono::year_month_day(std::chrono::year(year),
                                        std::chrono::month(static_cast<unsigned>(month)),
                                        std::chrono::day(static_cast<unsigned>(day)))
                .ok();
  if (!ok) throw invalid_field(field, field + " must be a calendar day, YYYY-MM-DD");
  return std::string(text);
}

annal::event_metadata request_metadata(const annal::http::request& req) {
  annal::event_metadata metadata;
  const std::string* given = req.header("X-Correlation-Id");
  bool usable =
      given != nullptr && !given->empty() && given->size() <= 128 &&
      std::all_of(given->begin(), given->end(), [](char c) { return c >= 0x20 && c < 0x7f; });
  metadata.correlation_id = usable ? *given : annal::uuid::v7().to_string();
  return metadata;
}

}  // namespace order_service
