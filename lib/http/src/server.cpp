// The public face of the server; everything else is in server_core and connection.
#include "annal_http/server.hpp"

#include "server_core.hpp"

namespace annal::http {

server::server(server_options options, router routes)
    : core_(std::make_unique<detail::server_core>(std::move(options), std::move(routes))) {}

server::~server() = default;

std::uint16_t server::port() const noexcept { return core_->port(); }

std::size_t server::open_connections() const noexcept { return core_->open_connections(); }

void server::run() { core_->run(); }

void server::stop() { core_->request_stop(); }

}  // namespace annal::http
