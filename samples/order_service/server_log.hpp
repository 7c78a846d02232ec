// The server's log: where internal details go that replies never show.
#pragma once

#include <functional>
#include <string_view>

namespace order_service {

/// Receives one line for the server's log (standard error in the program): internal details
/// that replies never show, such as a failing store's message or a projection's SQL error.
/// Lines may hold anything a client or the store sent: escape them (annal::http::escape_for_log)
/// before they get here. Called from any thread.
using server_log = std::function<void(std::string_view)>;

}  // namespace order_service
