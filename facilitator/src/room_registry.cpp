#include "room_registry.hpp"

#include <algorithm>
#include <iostream>

#include "crypto.hpp"
#include "event_log.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "store/log_store.hpp"
#include "wall_clock.hpp"

namespace roundtable::facilitator {

bool is_code(std::string_view s) {
  if (s.size() != 6) return false;
  for (char ch : s)
    if (ch < '0' || ch > '9') return false;
  return true;
}

room_registry::room_registry(boost::asio::io_context& ioc, room_services& services) : ioc_(ioc), services_(services) {
  // One session that does not replay must not keep the server, and every other session, from starting.
  for (const auto& row : services_.store.sessions()) {
    try {
      auto r = rebuild(row.code, row.hmac_key);
      if (!r) {
        quarantine(row.code, r.err().message);
      } else if (*r != nullptr) {
        (*r)->resume_timers();
        hold(std::move(*r));
      }
    } catch (const std::exception& e) {
      quarantine(row.code, e.what());  // the store could not read this session's log
    }
  }
}

result<std::shared_ptr<room>> room_registry::rebuild(const std::string& code, const std::string& hmac_key) const {
  auto [log, unreadable] = read_log(services_.store, code);
  if (unreadable) return error{error_code::internal, *unreadable};
  if (log.empty()) return std::shared_ptr<room>();  // created but its started event never committed
  auto s = session::replay(log);
  if (!s) return s.err();
  if (s->code() != code) return error{error_code::internal, "its started event names the session " + s->code()};
  return std::make_shared<room>(ioc_, services_, hmac_key, std::move(*s), log.size());
}

void room_registry::quarantine(const std::string& code, const std::string& why) const {
  // Its code stays used in the store, so no new session takes it; the rows stay for `facilitator export`.
  log::write(log::level::error, "session_quarantined", "session " + code + " is quarantined (not served): " + why,
             {{"code", code}});
  services_.metrics.quarantined++;
}

std::shared_ptr<room> room_registry::find(const std::string& code) const {
  {
    std::lock_guard lock(mutex_);
    const auto it = rooms_.find(code);
    if (it != rooms_.end()) return it->second;
  }
  return services_.cluster ? load(code) : nullptr;
}

std::size_t room_registry::size() const {
  std::lock_guard lock(mutex_);
  return rooms_.size();
}

std::vector<room_summary> room_registry::summaries() const {
  std::vector<room_summary> rows;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [code, r] : rooms_) rows.push_back(r->summary());
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.started_ms > b.started_ms; });
  return rows;
}

std::string room_registry::new_code() const {
  for (;;) {
    auto code = crypto::random_digits(6);
    {
      std::lock_guard lock(mutex_);
      if (rooms_.count(code)) continue;
    }
    if (!services_.store.code_used(code)) return code;
  }
}

std::shared_ptr<room> room_registry::start(const scenario& sc, int min_group, const protocol::start& s,
                                           std::string owner,
                                           std::function<void(const std::shared_ptr<room>&, bool)> stored) {
  const auto code = new_code();
  const auto key = crypto::random_bytes(32);
  const auto now = wall_ms();
  auto started = make_started(code, sc, min_group, s, now);
  started.owner = std::move(owner);
  auto r = std::make_shared<room>(ioc_, services_, key, session(started), 1);
  {
    std::lock_guard lock(mutex_);
    rooms_.emplace(code, r);
  }
  auto first = [this, r, code, scenario = sc.id, stored = std::move(stored)](bool ok) {
    if (ok)
      log::write(log::level::info, "session_started", "session started", {{"code", code}, {"scenario", scenario}});
    if (ok && services_.cluster) hold(r);
    if (!ok) forget(code);
    stored(r, ok);
  };
  // The started event only once the code is ours: another server may have taken it meanwhile (create-if-absent).
  services_.store.create_session(
      code, key, now,
      [this, code, event = protocol::dump(events::to_json(started)), first = std::move(first)](bool ok) mutable {
        if (!ok) return first(false);
        services_.store.append_at(code, 1, std::move(event), std::move(first));
      });
  return r;
}

void room_registry::purge(const std::string& code) {
  services_.store.purge(code);
  forget(code);
}

bool room_registry::forget(const std::string& code) {
  std::shared_ptr<room> r;
  {
    std::lock_guard lock(mutex_);
    const auto it = rooms_.find(code);
    if (it == rooms_.end()) return false;
    r = std::move(it->second);
    rooms_.erase(it);
  }
  r->shutdown();  // its subscriptions end too
  return true;
}

bool room_registry::holds(const std::string& code) const {
  std::lock_guard lock(mutex_);
  return rooms_.count(code) != 0;
}

std::vector<std::string> room_registry::codes() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  out.reserve(rooms_.size());
  for (const auto& [code, r] : rooms_) out.push_back(code);
  return out;
}

void room_registry::shutdown() {
  std::lock_guard lock(mutex_);
  for (auto& [code, r] : rooms_) r->shutdown();
}

}  // namespace roundtable::facilitator
