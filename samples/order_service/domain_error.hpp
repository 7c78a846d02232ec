// The errors the order service's domain reports, each with the HTTP status class it maps to.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace order_service {

/// What kind of refusal a domain_error is; the HTTP API maps each kind to one status code.
enum class error_kind {
  /// A field of the command is malformed or out of range (HTTP 400). field() names it.
  invalid,
  /// The order or customer the command addresses does not exist (HTTP 404).
  not_found,
  /// The aggregate's lifecycle status forbids the command, e.g. shipping an unpaid order or
  /// adding an item to a paid one (HTTP 409).
  conflict,
  /// The command is well-formed and allowed in this status, but contradicts the aggregate's
  /// contents, e.g. a payment that differs from the total or removing an item the order does not
  /// have (HTTP 422).
  unprocessable,
  /// The caller's expected version (If-Match) is not the aggregate's version (HTTP 412).
  stale_version,
};

/// A command the domain refuses. The message is one sentence meant for the API's user; code()
/// is a stable snake_case identifier meant for programs (e.g. "order_not_paid").
class domain_error : public std::runtime_error {
 public:
  domain_error(error_kind kind, std::string code, const std::string& message,
               std::string field = {});

  error_kind kind() const noexcept { return kind_; }
  const std::string& code() const noexcept { return code_; }
  /// The request field at fault, for error_kind::invalid; empty otherwise.
  const std::string& field() const noexcept { return field_; }

 private:
  error_kind kind_;
  std::string code_;
  std::string field_;
};

/// A field of a command failed validation (error_kind::invalid, code "invalid_field").
domain_error invalid_field(std::string field, const std::string& message);

/// The aggregate's version is not the one the caller expected (error_kind::stale_version).
domain_error stale_version(std::uint64_t expected, std::uint64_t actual);

}  // namespace order_service
