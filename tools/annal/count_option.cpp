// Strict parsing of numeric options: CLI11's own conversion wraps "-1" and saturates overflows.
#include "count_option.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <limits>

#include "whole_number.hpp"

namespace annal::cli {

CLI::Option* add_count_option(CLI::App& command, const std::string& name,
                              std::optional<std::uint64_t>& target, std::uint64_t minimum,
                              const std::string& description) {
  auto check = [&target, name, minimum](const std::string& text) {
    std::optional<std::uint64_t> value = parse_whole_number(text);
    if (value && *value >= minimum) {
      target = value;
      return;
    }
    bool too_large = !value && !text.empty() &&
                     text.find_first_not_of("0123456789") == std::string::npos;
    throw CLI::ValidationError(
        fmt::format("{} needs a whole number of at least {}, not '{}'{}", name, minimum, text,
                    too_large ? fmt::format(" (the largest is {})",
                                            std::numeric_limits<std::uint64_t>::max())
                              : ""));
  };
  return command.add_option_function<std::string>(name, check, description);
}

}  // namespace annal::cli
