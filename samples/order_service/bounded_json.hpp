// JSON parsing with a nesting limit and a named location for every refusal, for request bodies
// and for payloads read back from the store.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace order_service {

/// Why parse_bounded_json refused a text.
class json_refused : public std::runtime_error {
 public:
  enum class reason {
    /// Not JSON at all.
    malformed,
    /// Arrays and objects nested deeper than the limit.
    too_deep,
    /// A number beyond what a double holds, like 1e400 or an integer of 400 digits.
    number_out_of_range,
  };
  json_refused(reason why, std::string location, const std::string& message)
      : std::runtime_error(message), why_(why), location_(std::move(location)) {}

  reason why() const noexcept { return why_; }
  /// Where the parser stopped, like "items[2].quantity"; empty at the top level.
  const std::string& location() const noexcept { return location_; }

 private:
  reason why_;
  std::string location_;
};

/// Parses `text` (nlohmann::json or nlohmann::ordered_json), refusing nesting deeper than
/// `max_depth` (`[[1]]` nests 2 deep) while parsing, before the deeper levels cost anything.
/// The parser and the destruction of the result are iterative, so no input can exhaust the
/// stack. Throws json_refused.
template <class Json>
Json parse_bounded_json(std::string_view text, std::size_t max_depth);

extern template nlohmann::json parse_bounded_json<nlohmann::json>(std::string_view, std::size_t);
extern template nlohmann::ordered_json parse_bounded_json<nlohmann::ordered_json>(
    std::string_view, std::size_t);

}  // namespace order_service
