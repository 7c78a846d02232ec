// Escaping of client-controlled text and the access-log line.
#include "annal_http/access_log.hpp"

#include <fmt/format.h>

namespace annal::http {

std::string escape_for_log(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20 || byte > 0x7e) {
      out += "\\x";
      out.push_back(hex[byte >> 4]);
      out.push_back(hex[byte & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string format_access_log_line(const access_log_entry& entry) {
  return fmt::format("{} \"{} {}\" {} {} {:.1f}ms", escape_for_log(entry.remote),
                     escape_for_log(entry.method), escape_for_log(entry.target), entry.status,
                     entry.body_bytes, static_cast<double>(entry.duration.count()) / 1000.0);
}

}  // namespace annal::http
