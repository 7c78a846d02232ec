// Routes served from the read models (listing, revenue) and the projections' status and rebuild.
#include <annal/projection_runner.hpp>
#include <annal/read_model_reader.hpp>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <string>

#include "domain_error.hpp"
#include "http_api.hpp"
#include "json_views.hpp"
#include "order_summaries.hpp"
#include "request_decoding.hpp"
#include "revenue.hpp"

namespace order_service {
namespace {

using annal::http::request;
using annal::http::response;

constexpr std::uint64_t max_position = std::numeric_limits<std::int64_t>::max();

// What clients see of a projection's failure; the failure itself (SQL, file paths) goes to the
// server log, once per distinct failure.
class projection_errors {
 public:
  explicit projection_errors(server_log log) : log_(std::move(log)) {}

  // `status` with its error replaced by a sentence that names no internals.
  annal::projection_status redacted(annal::projection_status status) {
    if (status.error.empty()) return status;
    {
      std::lock_guard lock(mutex_);
      std::string& logged = logged_[status.name];
      if (logged != status.error) {
        logged = status.error;
        if (log_) {
          log_("projection " + status.name + " failed at position " +
               std::to_string(status.failed_position) + " (" + status.failed_type +
               "): " + annal::http::escape_for_log(status.error));
        }
      }
    }
    status.error = "the projection failed; the details are in the server log";
    return status;
  }

 private:
  server_log log_;
  std::mutex mutex_;
  std::map<std::string, std::string> logged_;
};

// The runner's status of a projection, or 404 for a name it does not know.
annal::projection_status status_of(const annal::projection_runner& runner,
                                   const std::string& name) {
  for (auto& status : runner.statuses()) {
    if (status.name == name) return status;
  }
  throw domain_error(error_kind::not_found, "projection_not_found", "no projection " + name);
}

// Tells the client how fresh the read model behind a reply is (docs/order-service.md,
// "Read-model freshness"). Taken before the query, so the position is a lower bound.
void add_freshness(response& res, const annal::projection_status& status) {
  res.set_header("X-Read-Model-State", std::string(annal::to_string(status.state)));
  res.set_header("X-Read-Model-Lag", std::to_string(status.lag));
  res.set_header("X-Read-Model-Position", std::to_string(status.serving_checkpoint));
}

}  // namespace

void add_read_model_routes(annal::http::router& routes, annal::projection_runner& projections,
                           const server_log& log) {
  auto errors = std::make_shared<projection_errors>(log);
  add_route(routes, log, "GET", "/orders",
            [&projections, errors](const request& req, response& res) {
              query_params params(req);
              std::string status = params.text("status");
              if (!status.empty() && status != "open" && status != "paid" && status != "shipped" &&
                  status != "cancelled") {
                throw invalid_field("status", "status must be open, paid, shipped or cancelled");
              }
              auto limit = params.integer("limit", 20, 1, 100);
              auto after = params.integer("after", 0, 0, max_position);
              add_freshness(res, errors->redacted(projections.status(order_summaries_name)));
              // A reader is one SQLite connection; opening one per request keeps handlers
              // independent.
              annal::read_model_reader reader(projections.read_model_path());
              reply_json(res, 200, order_list_json(list_orders(reader, status, after, limit)));
            },
            {"status", "limit", "after"});
  add_route(routes, log, "GET", "/revenue",
            [&projections, errors](const request& req, response& res) {
              query_params params(req);
              std::string from = params.day("from");
              std::string to = params.day("to");
              add_freshness(res, errors->redacted(projections.status(revenue_name)));
              annal::read_model_reader reader(projections.read_model_path());
              reply_json(res, 200, revenue_json(revenue_per_day(reader, from, to)));
            },
            {"from", "to"});
  add_route(routes, log, "GET", "/projections",
            [&projections, errors](const request&, response& res) {
              nlohmann::ordered_json list = nlohmann::ordered_json::array();
              for (const auto& status : projections.statuses()) {
                list.push_back(projection_json(errors->redacted(status)));
              }
              reply_json(res, 200, {{"projections", std::move(list)}});
            });
  add_route(routes, log, "GET", "/projections/{name}",
            [&projections, errors](const request& req, response& res) {
              auto status = status_of(projections, req.path_param("name"));
              reply_json(res, 200, projection_json(errors->redacted(status)));
            });
  add_route(routes, log, "POST", "/projections/{name}/rebuild",
            [&projections, errors](const request& req, response& res) {
              const std::string& name = req.path_param("name");
              status_of(projections, name);
              projections.rebuild(name);
              reply_json(res, 202, projection_json(errors->redacted(projections.status(name))));
            });
}

}  // namespace order_service
