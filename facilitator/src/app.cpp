#include "app.hpp"

#include "store/log_store.hpp"

namespace roundtable::facilitator {

app::app(boost::asio::io_context& ioc, store::log_store& store, store::key_store& keys, scenario_library& library,
         app_options options)
    : services_{store, metrics_, "", nullptr, options.cluster},
      rooms_(ioc, services_),
      reaper_(ioc, rooms_, options.confidential_retention),
      limits_(options.limits),
      proxies_(options.trusted_proxies),
      auth_(options.key, keys, rooms_),
      router_({options.min_group, options.limits}, auth_, library, metrics_, rooms_, limits_),
      routes_({options.limits.failure_window, options.metrics_public}, auth_, services_, rooms_, limits_,
              options.web_root.empty() ? web_assets::embedded() : web_assets::from_dir(options.web_root)) {
  services_.confidential_ended = [this](const std::string& code, std::int64_t ended_ms) {
    reaper_.schedule(code, ended_ms);
  };
  reaper_.schedule_held();
  if (options.cluster) {
    purges_ = std::make_unique<purge_watch>(ioc, rooms_, store, *options.cluster,
                                            [this](const std::string& code) { auth_.forget_cohost(code); });
    purges_->start();
  }
}

}  // namespace roundtable::facilitator
