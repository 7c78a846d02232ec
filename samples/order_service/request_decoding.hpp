// Reading what a request says: its JSON body as a command, If-Match, query parameters, the
// correlation id. Every malformed part is a domain_error invalid naming it (HTTP 400).
#pragma once

#include <annal/annal.hpp>
#include <annal_http/message.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain_error.hpp"

namespace order_service {

/// The request body as a JSON object ("{}" when empty): nesting deeper than
/// annal::max_payload_nesting and numbers beyond a double's range are refused while parsing.
/// Throws domain_error invalid: code "invalid_json" (field "body") for text that is not JSON or
/// nests too deep, "invalid_field" naming the field of an out-of-range number, or field "body"
/// when the JSON is not an object.
nlohmann::json body_json(const annal::http::request& req);

/// The request body decoded into a command struct. A missing or mistyped field is a
/// domain_error invalid naming it, as is everything body_json() refuses.
template <class Command>
Command body_as(const annal::http::request& req) {
  auto json = body_json(req);
  try {
    return annal::from_json_value<Command>(json, "request");
  } catch (const annal::decode_failed& e) {
    throw invalid_field(e.field_path().empty() ? "body" : e.field_path(), e.what());
  }
}

/// The stream version the If-Match header expects: "3" or 3; absent or "*" means any. Throws
/// domain_error invalid (field "If-Match") for an empty value, a weak or malformed tag, or
/// more than one If-Match header.
std::optional<std::uint64_t> if_match(const annal::http::request& req);

/// A non-negative integer in a path segment or parameter named `field`, at most `max`.
std::uint64_t number_param(std::string_view text, const std::string& field,
                           std::uint64_t max = UINT64_MAX);

/// Checks the names of a request's query parameters against those its route accepts: an
/// unknown name, or a name given twice, is a domain_error invalid naming it.
void check_query_names(const annal::http::request& req, const std::vector<std::string>& allowed);

/// The values of a request's query parameters, each checked as it is read (check the names
/// first with check_query_names).
class query_params {
 public:
  explicit query_params(const annal::http::request& req) : req_(req) {}

  /// The value of `name`, or `fallback` when the request does not have it.
  std::string text(std::string_view name, std::string fallback = {}) const;
  /// An integer from `min` to `max` (decimal digits only), or `fallback` when absent.
  std::uint64_t integer(std::string_view name, std::uint64_t fallback, std::uint64_t min,
                        std::uint64_t max) const;
  /// A calendar day "YYYY-MM-DD" that exists (2026-02-29 does not), or "" when absent.
  std::string day(std::string_view name) const;

 private:
  const annal::http::request& req_;
};

/// The correlation id of a request: the client's X-Correlation-Id when it is 1 to 128
/// printable ASCII characters, otherwise a fresh UUID. Stored with every event the request
/// appends; the reply echoes it (set it with set_header).
annal::event_metadata request_metadata(const annal::http::request& req);

}  // namespace order_service
