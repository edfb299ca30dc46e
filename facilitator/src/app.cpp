#include "app.hpp"

namespace roundtable::facilitator {

app::app(boost::asio::io_context& ioc, store::log_store& store, std::vector<scenario> catalog, app_options options)
    : services_{store, metrics_, ""},
      rooms_(ioc, services_),
      limits_(options.limits),
      proxies_(options.trusted_proxies),
      router_({options.key, options.min_group, options.limits}, std::move(catalog), metrics_, rooms_, limits_),
      routes_({options.key, options.limits.failure_window, options.metrics_public}, services_, rooms_, limits_,
              options.web_root.empty() ? web_assets::embedded() : web_assets::from_dir(options.web_root)) {}

}  // namespace roundtable::facilitator
