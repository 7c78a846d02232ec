// The one rule for the tool's numeric options: a decimal whole number in a range, else exit 2.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace annal::cli {

/// Adds the option `name` (e.g. "--limit") to `command`: its value must be a decimal whole
/// number of at least `minimum`, or parsing fails with CLI::ValidationError naming the option,
/// the rule and the value given, which the tool reports as a usage error (exit code 2).
/// `target` receives the value and must outlive the parse.
CLI::Option* add_count_option(CLI::App& command, const std::string& name,
                              std::optional<std::uint64_t>& target, std::uint64_t minimum,
                              const std::string& description);

}  // namespace annal::cli
